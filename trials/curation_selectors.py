"""Reads for curation: the review queue, the facets as the API shows them, and what changed
in the criteria text under a curator's judgement."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from trials.models import Facet, Provenance, ReviewStatus, Trial, TrialVersion
from trials.services.facets import criteria_text_hash


def _facets_in_state(review: str, **filters: str) -> QuerySet[Facet]:
    return Facet.objects.filter(trial=OuterRef("pk"), review=review, **filters)


def _count(facets: QuerySet[Facet]) -> Coalesce:
    counted = facets.order_by().values("trial").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def trials_with_facet_count(trials: QuerySet[Trial]) -> QuerySet[Trial]:
    """Annotate how many of each trial's facets need review: `facets_to_review` in all,
    `low_confidence` from extraction, `text_changed` curated but the text changed since."""
    waiting = ReviewStatus.NEEDS_REVIEW
    return trials.annotate(
        facets_to_review=_count(_facets_in_state(waiting)),
        low_confidence=_count(_facets_in_state(waiting, provenance=Provenance.EXTRACTED)),
        text_changed=_count(_facets_in_state(waiting, provenance=Provenance.CURATED)),
    )


def trials_in_review_state(trials: QuerySet[Trial], *, review: str) -> QuerySet[Trial]:
    """Trials with at least one facet in this review state."""
    return trials.filter(Exists(_facets_in_state(review)))


def review_queue(*, review: str = ReviewStatus.NEEDS_REVIEW) -> QuerySet[Trial]:
    """Trials waiting for a curator, newest registry change first."""
    trials = trials_in_review_state(Trial.objects.all(), review=review)
    return trials_with_facet_count(trials).order_by(
        F("last_update_posted").desc(nulls_last=True), "registry_id"
    )


def review_queue_counts() -> dict[str, int]:
    """How many trials wait, and why (a trial can count under both reasons)."""
    waiting = ReviewStatus.NEEDS_REVIEW
    trials = Trial.objects.all()
    return {
        "trials": trials.filter(Exists(_facets_in_state(waiting))).count(),
        "low_confidence": trials.filter(
            Exists(_facets_in_state(waiting, provenance=Provenance.EXTRACTED))
        ).count(),
        "text_changed": trials.filter(
            Exists(_facets_in_state(waiting, provenance=Provenance.CURATED))
        ).count(),
        "wrong": trials.filter(Exists(_facets_in_state(ReviewStatus.WRONG))).count(),
    }


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "add" | "remove" | "context" | "hunk"
    text: str


@dataclass(frozen=True, slots=True)
class CriteriaDiff:
    """The criteria text some curated facets were judged against, beside today's."""

    kinds: tuple[str, ...]
    confirmed_at: dt.datetime | None
    old_version: TrialVersion | None  # None: no stored version has that text any more
    lines: tuple[DiffLine, ...]


def _version_text(version: TrialVersion) -> str:
    raw = version.raw if isinstance(version.raw, dict) else {}
    module = (raw.get("protocolSection") or {}).get("eligibilityModule") or {}
    text = module.get("eligibilityCriteria")
    return text if isinstance(text, str) else ""


def _diff_lines(old: str, new: str) -> tuple[DiffLine, ...]:
    lines: list[DiffLine] = []
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2)
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("remove", line[1:]))
        else:
            lines.append(DiffLine("context", line[1:]))
    return tuple(lines)


def trial_criteria_diffs(*, trial: Trial) -> list[CriteriaDiff]:
    """For curated facets judged against criteria text the registry has since changed:
    the old text (from the newest stored version that had it) diffed with today's."""
    current = criteria_text_hash(trial.eligibility_criteria)
    stale = (
        Facet.objects.filter(trial=trial, provenance=Provenance.CURATED)
        .exclude(criteria_hash="")
        .exclude(criteria_hash=current)
        .order_by("kind")
    )
    by_hash: dict[str, list[Facet]] = {}
    for facet in stale:
        by_hash.setdefault(facet.criteria_hash, []).append(facet)
    if not by_hash:
        return []
    versions = list(TrialVersion.objects.filter(trial=trial).order_by("-fetched_at", "-id"))
    diffs = []
    for text_hash, facets in by_hash.items():
        old = next((v for v in versions if criteria_text_hash(_version_text(v)) == text_hash), None)
        lines = _diff_lines(_version_text(old), trial.eligibility_criteria) if old else ()
        diffs.append(
            CriteriaDiff(
                kinds=tuple(f.kind for f in facets),
                confirmed_at=max((f.curated_at for f in facets if f.curated_at), default=None),
                old_version=old,
                lines=lines,
            )
        )
    return diffs
