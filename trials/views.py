"""Web pages: the search form and its results, a trial's page, the CSV export.

Answers travel only in POST bodies (never URLs), are never stored, and every response
that shows them is sent with Cache-Control: no-store.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import replace
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from trials.forms import SearchForm
from trials.models import Trial
from trials.screening.answers import MAX_PAGE_SIZE, ORDERING_LABELS, Answers
from trials.screening.verdicts import DISCLAIMER, FACET_LABELS, TrialVerdict
from trials.screening.vocabulary import DISEASE_LABELS, TREATMENT_CLASS_LABELS
from trials.selectors import (
    COUNTRIES_CACHE_SECONDS,
    ScreenResult,
    location_countries,
    trial_detail_get,
    trial_list,
    trial_screen_one,
    trials_screen,
)

# Fifty trials a page keeps the list page light at 100,000 trials.
TRIALS_PER_PAGE = 50
CSV_MAX_ROWS = 5000


def _form_context() -> dict[str, Any]:
    return {
        "group_heading": "h2",
        "diseases": sorted(DISEASE_LABELS.values()),
        "countries": location_countries(),
        "disclaimer": DISCLAIMER,
    }


# The blank search form's fields, kept as long as the country suggestions they list.
BLANK_FIELDS_CACHE_KEY = "screener:blank-search-fields"


def _blank_fields() -> SafeString:
    """The blank search form's fields, rendered once per process and cache period: they
    hold no answers and no CSRF token (the form tag around them does), and drawing the
    form's widgets was most of a GET of the search page."""

    def draw() -> str:
        return render_to_string(
            "trials/_search_fields.html", {**_form_context(), "form": SearchForm()}
        )

    fields: str = cache.get_or_set(BLANK_FIELDS_CACHE_KEY, draw, COUNTRIES_CACHE_SECONDS)
    return mark_safe(fields)  # our own template's output, escaped there


@require_http_methods(["GET", "HEAD", "POST"])
# Pages that may show answers are never cached (Cache-Control: no-store).
@never_cache
def search_view(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: the form again, with the results below it."""
    if request.method != "POST":
        context = {"form": SearchForm(), "blank_fields": _blank_fields()}
        return render(request, "trials/search.html", context)
    context = _form_context()
    form = SearchForm(request.POST)
    context["form"] = form
    if not form.is_valid() or form.answers is None:
        return render(request, "trials/search.html", context, status=400)
    result = trials_screen(answers=form.answers)
    context.update(_results_context(form, form.answers, result))
    return render(request, "trials/search.html", context)


def _results_context(form: SearchForm, answers: Answers, result: ScreenResult) -> dict[str, Any]:
    return {
        "answers": answers,
        "result": result,
        "hidden": form.hidden_fields_data(),
        "previous_page": result.page - 1 if result.page > 1 else None,
        "next_page": result.page + 1 if result.page < result.pages else None,
        "first_index": (result.page - 1) * result.page_size + 1,
        "last_index": (result.page - 1) * result.page_size + len(result.results),
        "ordering_label": ORDERING_LABELS.get(answers.ordering, answers.ordering),
        # The form follows the results under "Change your answers": its groups go a level down.
        "group_heading": "h3",
    }


def trial_list_view(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(trial_list(), TRIALS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "trials/trial_list.html", {"page": page, "count": paginator.count})


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def trial_detail_view(request: HttpRequest, nct_id: str) -> HttpResponse:
    """GET: the trial. POST (from the results): the trial with the verdict for the answers."""
    trial = trial_detail_get(nct_id=nct_id)
    if trial is None:
        raise Http404("No such trial here.")
    verdict: TrialVerdict | None = None
    form: SearchForm | None = None
    if request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid() and form.answers is not None:
            verdict = trial_screen_one(trial=trial, answers=form.answers)
    context = {
        "trial": trial,
        "verdict": verdict,
        "form": form,
        "hidden": form.hidden_fields_data() if form is not None and verdict else [],
        "disclaimer": DISCLAIMER,
        **_trial_page_context(trial),
    }
    return render(request, "trials/trial_detail.html", context)


def _trial_page_context(trial: Trial) -> dict[str, Any]:
    """Criteria split by section, with the facets each criterion was read into."""
    facets = {f.kind: f for f in trial.facets.all()}
    read_as: dict[str, list[str]] = {}
    for facet in facets.values():
        if facet.kind == "disease":
            continue
        for quote in facet.evidence or []:
            if isinstance(quote, dict) and quote.get("criterion"):
                label = FACET_LABELS.get(facet.kind, "Time limit on recent treatment")
                read_as.setdefault(str(quote["criterion"]), []).append(label)
    sections: dict[str, list[tuple[Any, list[str], str]]] = {
        "inclusion": [],
        "exclusion": [],
        "other": [],
    }
    last_heading: dict[str, str] = {}
    for criterion in trial.criteria.all():
        # A sub-heading ("Cohort A") is shown once, where it starts; the section headings
        # themselves are the page's own.
        heading = criterion.heading
        shown = ""
        if heading != last_heading.get(criterion.section) and not _SECTION_HEADING.search(heading):
            shown = heading
        last_heading[criterion.section] = heading
        sections.setdefault(criterion.section, []).append(
            (criterion, read_as.get(criterion.text, []), shown)
        )
    washout = facets.get("washout")
    notes = washout.value if washout is not None and isinstance(washout.value, list) else []
    return {
        "facets": facets,
        "screening_facets": [
            (kind, FACET_LABELS[kind], facets.get(kind))
            for kind in ("stages", "resectability", "prior_treatment")
        ],
        "inclusion": sections["inclusion"],
        "exclusion": sections["exclusion"],
        "other_criteria": sections["other"],
        "washout_notes": [n for n in notes if isinstance(n, dict)],
        "class_labels": {k: v[0] for k, v in TREATMENT_CLASS_LABELS.items()},
        "agents": [i for i in trial.interventions.all() if i.cytokine_family],
        "other_interventions": [i for i in trial.interventions.all() if not i.cytokine_family],
    }


_SECTION_HEADING = re.compile(r"\b(inclusion|exclusion|eligibility)\b", re.IGNORECASE)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Spreadsheet-safe text: registry text starting like a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@require_POST
@never_cache
def results_csv_view(request: HttpRequest) -> HttpResponse:
    """The result list as CSV: the trials and their verdicts (not the answers); the file
    name carries only the date."""
    form = SearchForm(request.POST)
    if not form.is_valid() or form.answers is None:
        return HttpResponse(
            "The answers could not be read; go back to the search page.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="cytokine-trials-{dt.date.today().isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow([_cell(DISCLAIMER)])
    writer.writerow(
        [
            "nct_id",
            "title",
            "status",
            "phases",
            "cytokine_agents",
            "conditions",
            "verdict",
            "criteria_behind_the_verdict",
            "last_update_posted",
            "registry_url",
        ]
    )
    answers = replace(form.answers, page=1, page_size=MAX_PAGE_SIZE)
    written = 0
    while written < CSV_MAX_ROWS:
        result = trials_screen(answers=answers)
        for screened in result.results:
            trial = screened.trial
            reasons = "; ".join(
                f"{FACET_LABELS.get(r.facet, r.facet)} ({r.outcome}): {r.criterion}"
                for r in screened.verdict.reasons
            )
            writer.writerow(
                _cell(v)
                for v in (
                    trial.registry_id,
                    trial.brief_title,
                    trial.overall_status,
                    " ".join(trial.phases or []),
                    "; ".join(a.name for a in screened.agents),
                    "; ".join(screened.conditions),
                    screened.verdict.words,
                    reasons,
                    trial.last_update_posted or "",
                    trial.registry_url,
                )
            )
            written += 1
        if answers.page >= result.pages:
            break
        answers = replace(answers, page=answers.page + 1)
    return response
