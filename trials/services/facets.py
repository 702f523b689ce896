"""Facets: write what extraction reads out of a trial's criteria, keeping curators' work.

Extraction itself is pure (trials.criteria); this service stores its output. A curated
facet is never overwritten: its extracted value is refreshed beside it for comparison,
and when the criteria text under it changed the facet goes back to the review queue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from trials.criteria import ExtractedFacets, FacetValue, extract_facets, split_criteria
from trials.models import Criterion, Facet, FacetKind, Provenance, ReviewStatus, Trial


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


@transaction.atomic
def trial_facets_refresh(*, trial: Trial, conditions: Sequence[str] | None = None) -> None:
    """Re-read the trial's criteria text into Criterion rows and extracted facets."""
    if conditions is None:
        conditions = list(trial.conditions.values_list("name", flat=True))
    text = trial.eligibility_criteria
    text_hash = criteria_text_hash(text)
    items = split_criteria(text)

    trial.criteria.all().delete()
    Criterion.objects.bulk_create(
        Criterion(
            trial=trial,
            section=item.section,
            order=item.order,
            depth=item.depth,
            heading=item.heading[:500],
            text=item.text,
        )
        for item in items
    )

    extracted = extract_facets(criteria_text=text, conditions=conditions, items=items)
    existing = {facet.kind: facet for facet in trial.facets.all()}
    for kind, (value, facet_value) in _facet_values(extracted).items():
        facet = existing.get(kind)
        evidence = _evidence(facet_value) if facet_value else []
        rule = facet_value.rule if facet_value else "condition.normalise"
        flagged = bool(facet_value and facet_value.review)
        if facet is not None and facet.provenance == Provenance.CURATED:
            facet.extracted_value = value
            if facet.criteria_hash != text_hash:
                # The text a curator confirmed has changed: keep their value, ask again.
                facet.review = ReviewStatus.NEEDS_REVIEW
            facet.skip_history_when_saving = True
            facet.save(update_fields=["extracted_value", "review", "updated_at"])
            continue
        if facet is None:
            facet = Facet(trial=trial, kind=kind)
        facet.value = value
        facet.extracted_value = value
        facet.evidence = evidence
        facet.rule = rule
        facet.provenance = Provenance.EXTRACTED
        facet.review = ReviewStatus.NEEDS_REVIEW if flagged else ReviewStatus.NONE
        facet.criteria_hash = text_hash
        # History is for people's changes; re-extraction on every version would bury them.
        facet.skip_history_when_saving = True
        facet.save()
