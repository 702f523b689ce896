"""Result types and the fixed vocabularies other code relies on."""

from __future__ import annotations

from dataclasses import dataclass

from .vocab import load

STAGES: tuple[str, ...] = ("I", "II", "III", "IV")

# Bump whenever a rule or vocabulary file changes what is extracted: stored facets carry
# it so that a re-extraction can tell stale rows apart.
RULES_VERSION = "2026.12.1"

_CLASSES: dict[str, dict[str, str | None]] = load("treatments")["classes"]

TREATMENT_CLASSES: tuple[str, ...] = (
    "chemotherapy",
    "platinum_chemotherapy",
    "checkpoint_inhibitor",
    "interleukin",
    "interferon",
    "targeted_therapy",
    "radiotherapy",
    "surgery",
    "systemic_therapy",
)
TREATMENT_CLASS_PARENTS: dict[str, str | None] = {
    c: _CLASSES[c]["parent"] for c in TREATMENT_CLASSES
}
TREATMENT_CLASS_LABELS: dict[str, tuple[str, str]] = {
    c: (str(_CLASSES[c]["label"]), str(_CLASSES[c]["examples"])) for c in TREATMENT_CLASSES
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """The criterion (or condition name) a facet value was read from."""

    criterion: str
    section: str  # "inclusion" | "exclusion" | "other" | "condition"


@dataclass(frozen=True, slots=True)
class FacetValue:
    """A facet's value with its evidence, the rule(s) that produced it, and a review flag."""

    value: object
    evidence: tuple[Evidence, ...]
    rule: str
    review: bool


@dataclass(frozen=True, slots=True)
class ExtractedFacets:
    """Everything read from one listing."""

    stages: FacetValue
    resectability: FacetValue
    prior_treatment: FacetValue
    washout: FacetValue
    diseases: tuple[str, ...]


def ancestors(cls: str) -> tuple[str, ...]:
    """Parent classes of ``cls``, nearest first."""
    out: list[str] = []
    parent = TREATMENT_CLASS_PARENTS.get(cls)
    while parent:
        out.append(parent)
        parent = TREATMENT_CLASS_PARENTS.get(parent)
    return tuple(out)
