"""The Jinja2 environment of the public pages (templates/jinja2).

The pages moved here from Django templates for speed, and print exactly what the Django
templates printed: `{{ value }}` is escaped, localised and shown in the current time zone
as Django does it, and the filters named as Django's (date, join, pluralize, ...) are
Django's own. Registry text is untrusted, so autoescaping stays on (the backend's default).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any

from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.timezone import template_localtime
from jinja2 import Environment, Undefined
from markupsafe import Markup

from trials.screening.verdicts import FACET_LABELS, OUTCOME_WORDS, VERDICT_WORDS
from trials.screening.vocabulary import (
    CYTOKINE_FAMILY_LABELS,
    PHASE_LABELS,
    STAGES,
    STATUS_LABELS,
    TREATMENT_CLASS_LABELS,
)

SECTION_LABELS = {
    "inclusion": "Inclusion criterion",
    "exclusion": "Exclusion criterion",
    "condition": "Condition named by the listing",
    "other": "Listing details",
}


def status_label(code: str) -> str:
    return STATUS_LABELS.get(code, code.replace("_", " ").capitalize() if code else "Not given")


def phase_labels(codes: list[str] | None) -> str:
    return ", ".join(PHASE_LABELS.get(c, c) for c in codes or []) or "Phase not given"


def family_label(code: str) -> str:
    return CYTOKINE_FAMILY_LABELS.get(code, code)


def class_labels(codes: list[str] | None) -> str:
    return ", ".join(
        TREATMENT_CLASS_LABELS[c][0] if c in TREATMENT_CLASS_LABELS else c for c in codes or []
    )


def stage_words(value: Any) -> str:
    if not value:
        return "No stage limit read"
    return "Admits stage " + ", ".join(s for s in STAGES if s in value)


def section_label(code: str) -> str:
    return SECTION_LABELS.get(code, code.capitalize())


def facet_label(code: str) -> str:
    return FACET_LABELS.get(code, code.replace("_", " ").capitalize())


def outcome_words(code: str) -> str:
    return OUTCOME_WORDS.get(code, code)


def verdict_words(code: str) -> str:
    return VERDICT_WORDS.get(code, code)


def km(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f} km"


def date(value: Any, arg: str | None = None) -> str:
    # Django's date filter is handed the value already in the current time zone.
    return defaultfilters.date(template_localtime(value), arg)


def url(viewname: str, *args: Any, **kwargs: Any) -> str:
    return reverse(viewname, args=args or None, kwargs=kwargs or None)


def finalize(value: Any) -> Any:
    """`{{ value }}` as Django templates print it.

    markupsafe escapes quotes as &#34; and &#39;, Django as &quot; and &#x27;: escaping
    here, the Django way, keeps the pages byte for byte what they were (the untrusted-text
    tests look for Django's escaping). Markup is left to Jinja2, which keeps it as it is.
    """
    if type(value) is str:
        return Markup(html.escape(value))
    if hasattr(value, "__html__"):
        return value
    return conditional_escape(localize(template_localtime(value)))


def _missing_as_empty(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A missing value reaches a filter as "", as Django templates hand it over (a quote
    without a "section" key, say), rather than as Jinja2's Undefined, which raises."""

    @functools.wraps(fn)
    def wrapper(value: Any, *args: Any) -> Any:
        return fn("" if isinstance(value, Undefined) else value, *args)

    return wrapper


_LABEL_FILTERS: tuple[Callable[..., Any], ...] = (
    status_label,
    phase_labels,
    family_label,
    class_labels,
    stage_words,
    section_label,
    facet_label,
    outcome_words,
    verdict_words,
    km,
)

# Django's filters under their Django names, so the templates print what they printed
# (join, lower and title replace Jinja2's own: Django's join escapes the Django way).
_DJANGO_FILTERS: dict[str, Callable[..., Any]] = {
    "date": date,
    "join": defaultfilters.join,
    "linebreaksbr": defaultfilters.linebreaksbr,
    "lower": defaultfilters.lower,
    "pluralize": defaultfilters.pluralize,
    "title": defaultfilters.title,
    "truncatechars": defaultfilters.truncatechars,
}


def environment(**options: Any) -> Environment:
    # Django templates keep a template's last newline; keeping it too keeps the pages' bytes.
    options.setdefault("keep_trailing_newline", True)
    env = Environment(finalize=finalize, **options)
    env.globals.update({"static": static, "url": url})
    env.filters.update({fn.__name__: _missing_as_empty(fn) for fn in _LABEL_FILTERS})
    env.filters.update({name: _missing_as_empty(fn) for name, fn in _DJANGO_FILTERS.items()})
    return env
