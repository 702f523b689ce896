"""Plain-language labels for codes on the web pages. Output is auto-escaped as usual."""

from __future__ import annotations

from typing import Any

from django import template

from trials.screening.verdicts import FACET_LABELS, OUTCOME_WORDS, VERDICT_WORDS
from trials.screening.vocabulary import (
    CYTOKINE_FAMILY_LABELS,
    PHASE_LABELS,
    STAGES,
    STATUS_LABELS,
    TREATMENT_CLASS_LABELS,
)

register = template.Library()

SECTION_LABELS = {
    "inclusion": "Inclusion criterion",
    "exclusion": "Exclusion criterion",
    "condition": "Condition named by the listing",
    "other": "Listing details",
}


@register.filter
def status_label(code: str) -> str:
    return STATUS_LABELS.get(code, code.replace("_", " ").capitalize() if code else "Not given")


@register.filter
def phase_labels(codes: list[str] | None) -> str:
    return ", ".join(PHASE_LABELS.get(c, c) for c in codes or []) or "Phase not given"


@register.filter
def family_label(code: str) -> str:
    return CYTOKINE_FAMILY_LABELS.get(code, code)


@register.filter
def class_labels(codes: list[str] | None) -> str:
    return ", ".join(
        TREATMENT_CLASS_LABELS[c][0] if c in TREATMENT_CLASS_LABELS else c for c in codes or []
    )


@register.filter
def stage_words(value: Any) -> str:
    if not value:
        return "No stage limit read"
    return "Admits stage " + ", ".join(s for s in STAGES if s in value)


@register.filter
def section_label(code: str) -> str:
    return SECTION_LABELS.get(code, code.capitalize())


@register.filter
def facet_label(code: str) -> str:
    return FACET_LABELS.get(code, code.replace("_", " ").capitalize())


@register.filter
def outcome_words(code: str) -> str:
    return OUTCOME_WORDS.get(code, code)


@register.filter
def verdict_words(code: str) -> str:
    return VERDICT_WORDS.get(code, code)


@register.filter
def km(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f} km"
