"""Facets: write what extraction reads out of a trial's criteria, keeping curators' work.

Extraction itself is pure (trials.criteria); this service stores its output. A curated
facet is never overwritten: its extracted value is refreshed beside it for comparison,
and when the criteria text under it changed the facet goes back to the review queue.

Two steps, so ingest can batch a whole page: `facets_plan` reads one trial's text (pure,
no database), `trials_facets_write` stores many plans with one query per model.
`trial_facets_refresh` does both for one trial.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from trials.criteria import (
    CriterionItem,
    ExtractedFacets,
    FacetValue,
    extract_facets,
    split_criteria,
)
from trials.models import Criterion, Facet, FacetKind, Provenance, ReviewStatus, Trial
from trials.services.bulk import insert_rows
from trials.services.profiles import (
    ProfileSource,
    screening_profiles_rebuild,
    screening_profiles_write,
)

# Fields an extraction writes on a facet it owns; a curated facet gets only the last two.
_EXTRACTED_FIELDS = (
    "value",
    "extracted_value",
    "evidence",
    "rule",
    "provenance",
    "review",
    "criteria_hash",
    "updated_at",
)
_CURATED_FIELDS = ("extracted_value", "review", "updated_at")


def criteria_text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _evidence(value: FacetValue) -> list[dict[str, str]]:
    return [{"criterion": e.criterion, "section": e.section} for e in value.evidence]


def _facet_values(extracted: ExtractedFacets) -> dict[str, tuple[Any, FacetValue | None]]:
    return {
        FacetKind.STAGES: (extracted.stages.value, extracted.stages),
        FacetKind.RESECTABILITY: (extracted.resectability.value, extracted.resectability),
        FacetKind.PRIOR_TREATMENT: (extracted.prior_treatment.value, extracted.prior_treatment),
        FacetKind.WASHOUT: (extracted.washout.value, extracted.washout),
        FacetKind.DISEASE: (list(extracted.diseases), None),
    }


@dataclass(frozen=True, slots=True)
class FacetPlan:
    """What extraction read from one trial's criteria text, ready to store."""

    text_hash: str
    items: tuple[CriterionItem, ...]
    extracted: ExtractedFacets


def facets_plan(*, text: str, conditions: Sequence[str]) -> FacetPlan:
    """Split and read one criteria text. Pure: no database, safe to run before a write."""
    items = split_criteria(text)
    extracted = extract_facets(criteria_text=text, conditions=conditions, items=items)
    return FacetPlan(criteria_text_hash(text), tuple(items), extracted)


def trials_facets_write(
    *,
    plans: Sequence[tuple[int, FacetPlan]],
    new_trials: bool = False,
    profiles: Sequence[ProfileSource] | None = None,
) -> None:
    """Store the plans of many trials (trial id, plan): Criterion rows, facets, profiles.

    One DELETE and one INSERT for the criteria of all of them, one SELECT of their
    facets, one INSERT and up to two UPDATEs for the facets, then the screening profiles
    in bulk. `new_trials` says no trial has rows yet (skips the DELETE and the SELECT).
    `profiles`: the trials' rows and children as the caller just wrote them (one per
    plan); the profiles are then made from those and the facets in hand instead of read
    back from the database. Runs in the caller's transaction, or its own.
    """
    if not plans:
        return
    trial_ids = [trial_id for trial_id, _ in plans]
    now = timezone.now()
    with transaction.atomic():
        if not new_trials:
            Criterion.objects.filter(trial_id__in=trial_ids).delete()
        insert_rows(
            Criterion,
            [
                {
                    "trial_id": trial_id,
                    "section": item.section,
                    "order": item.order,
                    "depth": item.depth,
                    "heading": item.heading[:500],
                    "text": item.text,
                }
                for trial_id, plan in plans
                for item in plan.items
            ],
        )
        existing: dict[tuple[int, str], Facet] = {}
        if not new_trials:
            existing = {
                (facet.trial_id, facet.kind): facet
                for facet in Facet.objects.filter(trial_id__in=trial_ids)
            }
        created: list[Facet] = []
        curated: list[Facet] = []
        extracted: list[Facet] = []
        for trial_id, plan in plans:
            for kind, (value, facet_value) in _facet_values(plan.extracted).items():
                facet = existing.get((trial_id, kind))
                if facet is not None and facet.provenance == Provenance.CURATED:
                    facet.extracted_value = value
                    if facet.criteria_hash != plan.text_hash:
                        # The text a curator confirmed has changed: keep their value, ask
                        # again.
                        facet.review = ReviewStatus.NEEDS_REVIEW
                    facet.updated_at = now
                    curated.append(facet)
                    continue
                if facet is None:
                    facet = Facet(trial_id=trial_id, kind=kind)
                    created.append(facet)
                else:
                    extracted.append(facet)
                flagged = bool(facet_value and facet_value.review)
                facet.value = value
                facet.extracted_value = value
                facet.evidence = _evidence(facet_value) if facet_value else []
                facet.rule = facet_value.rule if facet_value else "condition.normalise"
                facet.provenance = Provenance.EXTRACTED
                facet.review = ReviewStatus.NEEDS_REVIEW if flagged else ReviewStatus.NONE
                facet.criteria_hash = plan.text_hash
                facet.updated_at = now
        # Bulk writes send no signals, so simple_history records nothing: history is for
        # people's changes, and re-extraction on every version would bury them.
        insert_rows(Facet, [_facet_row(facet) for facet in created])
        if curated:
            Facet.objects.bulk_update(curated, list(_CURATED_FIELDS))
        if extracted:
            Facet.objects.bulk_update(extracted, list(_EXTRACTED_FIELDS))
        if profiles is None:
            screening_profiles_rebuild(trial_ids=trial_ids)
            return
        # Every facet each trial now has: the stored ones (updated in place) and the new.
        stored: dict[int, dict[str, Facet]] = {}
        for facet in (*existing.values(), *created):
            stored.setdefault(facet.trial_id, {})[facet.kind] = facet
        screening_profiles_write(sources=profiles, facets=stored)


def _facet_row(facet: Facet) -> dict[str, Any]:
    """Every column of a new extracted facet, for `insert_rows`."""
    return {
        "trial_id": facet.trial_id,
        "kind": facet.kind,
        "value": facet.value,
        "evidence": facet.evidence,
        "provenance": facet.provenance,
        "rule": facet.rule,
        "review": facet.review,
        "extracted_value": facet.extracted_value,
        "criteria_hash": facet.criteria_hash,
        "curator_id": None,
        "curated_at": None,
        "note": "",
        "updated_at": facet.updated_at,
    }


@transaction.atomic
def trial_facets_refresh(*, trial: Trial, conditions: Sequence[str] | None = None) -> None:
    """Re-read the trial's criteria text into Criterion rows and extracted facets."""
    if conditions is None:
        conditions = list(trial.conditions.values_list("name", flat=True))
    plan = facets_plan(text=trial.eligibility_criteria, conditions=conditions)
    trials_facets_write(plans=[(trial.pk, plan)])
