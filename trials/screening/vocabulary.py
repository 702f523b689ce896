"""The contract's vocabularies as bit sets, so screening can filter in SQL.

Bit positions follow the order of the tuples they are built from
(`trials.criteria.STAGES`, `trials.criteria.TREATMENT_CLASSES`, `CYTOKINE_FAMILIES` below):
stage "I" is bit 0, "II" bit 1, and so on. Masks are stored in `ScreeningProfile`, so the
tuples are APPEND-ONLY: reordering or removing an entry silently changes what every stored
mask means (append new entries at the end, then run `rebuild_screening_profiles`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from trials.criteria import (
    DISEASE_LABELS,
    STAGES,
    TREATMENT_CLASS_LABELS,
    TREATMENT_CLASS_PARENTS,
    TREATMENT_CLASSES,
)
from trials.models import CytokineFamily

__all__ = [
    "CYTOKINE_CLASSES",
    "CYTOKINE_CLASS_LABELS",
    "CYTOKINE_FAMILIES",
    "CYTOKINE_FAMILY_BITS",
    "CYTOKINE_FAMILY_LABELS",
    "DISEASE_LABELS",
    "PHASES",
    "PHASE_LABELS",
    "STAGES",
    "STAGE_BITS",
    "STATUSES",
    "STATUS_LABELS",
    "TREATMENT_CLASSES",
    "TREATMENT_CLASS_BITS",
    "TREATMENT_CLASS_LABELS",
    "TREATMENT_CLASS_PARENTS",
    "ancestors",
    "classes_from_mask",
    "condition_names_text",
    "countries_text",
    "country_key",
    "cytokine_families_for",
    "cytokine_mask",
    "descendants",
    "diseases_text",
    "phase_mask",
    "search_text",
    "stage_mask",
    "stages_from_mask",
    "status_rank",
    "treatment_mask",
    "update_day",
    "with_ancestors",
]

# Cytokine agent families (contract section 1), in CytokineFamily's order, without the
# empty "not a cytokine" choice.
CYTOKINE_FAMILIES: tuple[str, ...] = tuple(str(f.value) for f in CytokineFamily if f.value)
CYTOKINE_FAMILY_LABELS: dict[str, str] = {
    str(f.value): str(f.label) for f in CytokineFamily if f.value
}
CYTOKINE_CLASSES: tuple[str, ...] = ("interleukin", "interferon")
CYTOKINE_CLASS_LABELS: dict[str, str] = {
    "interleukin": "Any interleukin",
    "interferon": "Any interferon",
}

STAGE_BITS: dict[str, int] = {stage: 1 << i for i, stage in enumerate(STAGES)}
TREATMENT_CLASS_BITS: dict[str, int] = {cls: 1 << i for i, cls in enumerate(TREATMENT_CLASSES)}
CYTOKINE_FAMILY_BITS: dict[str, int] = {fam: 1 << i for i, fam in enumerate(CYTOKINE_FAMILIES)}

# Registry overall statuses (ClinicalTrials.gov API v2 enum), in the order "status"
# ordering uses: open to people first.
STATUS_LABELS: dict[str, str] = {
    "RECRUITING": "Recruiting",
    "NOT_YET_RECRUITING": "Not yet recruiting",
    "ENROLLING_BY_INVITATION": "Enrolling by invitation",
    "ACTIVE_NOT_RECRUITING": "Active, not recruiting",
    "AVAILABLE": "Available (expanded access)",
    "TEMPORARILY_NOT_AVAILABLE": "Temporarily not available",
    "SUSPENDED": "Suspended",
    "COMPLETED": "Completed",
    "TERMINATED": "Terminated",
    "WITHDRAWN": "Withdrawn",
    "NO_LONGER_AVAILABLE": "No longer available",
    "APPROVED_FOR_MARKETING": "Approved for marketing",
    "WITHHELD": "Withheld",
    "UNKNOWN": "Unknown status",
}
STATUSES: tuple[str, ...] = tuple(STATUS_LABELS)
DEFAULT_STATUSES: tuple[str, ...] = ("RECRUITING", "NOT_YET_RECRUITING")

PHASE_LABELS: dict[str, str] = {
    "EARLY_PHASE1": "Early phase 1",
    "PHASE1": "Phase 1",
    "PHASE2": "Phase 2",
    "PHASE3": "Phase 3",
    "PHASE4": "Phase 4",
    "NA": "Not applicable",
}
PHASES: tuple[str, ...] = tuple(PHASE_LABELS)
# Bit positions, like the other masks: append-only.
PHASE_BITS: dict[str, int] = {phase: 1 << i for i, phase in enumerate(PHASES)}


def _mask(items: Iterable[str], bits: dict[str, int]) -> int:
    mask = 0
    for item in items:
        mask |= bits[item]
    return mask


def _from_mask(mask: int, bits: dict[str, int]) -> list[str]:
    return [item for item, bit in bits.items() if mask & bit]


def stage_mask(stages: Iterable[str]) -> int:
    """Bit set of stages; KeyError on a stage outside STAGES."""
    return _mask(stages, STAGE_BITS)


def stages_from_mask(mask: int) -> list[str]:
    return _from_mask(mask, STAGE_BITS)


def treatment_mask(classes: Iterable[str]) -> int:
    """Bit set of treatment classes; KeyError on a class outside TREATMENT_CLASSES."""
    return _mask(classes, TREATMENT_CLASS_BITS)


def classes_from_mask(mask: int) -> list[str]:
    return _from_mask(mask, TREATMENT_CLASS_BITS)


def cytokine_mask(families: Iterable[str]) -> int:
    """Bit set of cytokine families; empty family codes (not a cytokine) are ignored."""
    return _mask((f for f in families if f), CYTOKINE_FAMILY_BITS)


def ancestors(cls: str) -> tuple[str, ...]:
    """The classes `cls` is a kind of, nearest first (platinum -> chemotherapy -> systemic)."""
    out: list[str] = []
    parent = TREATMENT_CLASS_PARENTS.get(cls)
    while parent:
        out.append(parent)
        parent = TREATMENT_CLASS_PARENTS.get(parent)
    return tuple(out)


def descendants(cls: str) -> frozenset[str]:
    """Every class that is a kind of `cls` (not `cls` itself)."""
    return frozenset(c for c in TREATMENT_CLASSES if cls in ancestors(c))


def with_ancestors(classes: Iterable[str]) -> frozenset[str]:
    """The closure a person's answer implies: had platinum => had chemotherapy => had
    systemic therapy."""
    out: set[str] = set()
    for cls in classes:
        out.add(cls)
        out.update(ancestors(cls))
    return frozenset(out)


def cytokine_families_for(values: Iterable[str]) -> frozenset[str]:
    """Families named by a cytokine filter: family codes as given, classes expanded."""
    out: set[str] = set()
    for value in values:
        if value in CYTOKINE_CLASSES:
            out.update(f for f in CYTOKINE_FAMILIES if CytokineFamily.cytokine_class(f) == value)
        elif value in CYTOKINE_FAMILY_BITS:
            out.add(value)
        else:
            raise KeyError(value)
    return frozenset(out)


def phase_mask(phases: Iterable[str]) -> int:
    """Bit set of phases; phases outside PHASES (none today) are ignored, never guessed."""
    return _mask((p for p in phases if p in PHASE_BITS), PHASE_BITS)


def status_rank(status: str) -> int:
    """Position in STATUSES ("status" ordering); an unknown status sorts last."""
    try:
        return STATUSES.index(status)
    except ValueError:
        return len(STATUSES)


# Text columns of the screening profile, searched with LIKE: values are lower-cased and
# delimited so a whole value can be matched ("|france|" never matches "|french guiana|").


def search_text(value: str) -> str:
    """Text as profiles store it and searches compare it: lower case, single spaces."""
    return " ".join(value.lower().split())


def country_key(name: str) -> str:
    """A country as `countries_text` stores it between its delimiters."""
    return search_text(name).replace("|", " ")


def condition_names_text(names: Iterable[str]) -> str:
    """Condition names (search_text), one per line, with a line break at each end."""
    return "\n" + "".join(f"{search_text(name)}\n" for name in names)


def diseases_text(codes: Iterable[str]) -> str:
    return "".join(f"|{code}|" for code in sorted({c for c in codes if c}))


def countries_text(countries: Iterable[str]) -> str:
    return "".join(f"|{key}|" for key in sorted({country_key(c) for c in countries}) if key)


def update_day(day: dt.date | None) -> int:
    """A date as a day number for a descending order with unknown dates last (0)."""
    return day.toordinal() if day else 0
