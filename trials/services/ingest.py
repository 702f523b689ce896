"""Ingest: registry study records into the database.

One path for every source (registry sync, snapshot import): `trials_ingest_batch` takes
raw study objects as the API returns them, skips the unchanged ones with a hash check
and one bulk update, and upserts each changed one in its own transaction, so a bad record
never leaves a half-written trial and never stops the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone

from trials.criteria import classify_intervention, normalise_condition
from trials.models import (
    Condition,
    Intervention,
    Location,
    Registry,
    Trial,
    TrialVersion,
)
from trials.registry.records import RecordError, StudyRecord, parse_study, study_id
from trials.services.facets import trial_facets_refresh

logger = logging.getLogger(__name__)

Outcome = Literal["created", "updated", "unchanged"]

_TRIAL_FIELDS = (
    "brief_title",
    "official_title",
    "overall_status",
    "study_type",
    "start_date",
    "completion_date",
    "last_update_posted",
    "enrollment",
    "lead_sponsor",
    "brief_summary",
    "eligibility_criteria",
    "minimum_age_text",
    "maximum_age_text",
    "minimum_age_days",
    "maximum_age_days",
    "sex",
    "healthy_volunteers",
    "content_hash",
)


@dataclass(frozen=True, slots=True)
class IngestResult:
    nct_id: str
    outcome: Outcome
    trial_id: int


@dataclass(frozen=True, slots=True)
class IngestFailure:
    source: str  # NCT id when the record has one, else where it came from
    reason: str


@dataclass(slots=True)
class IngestCounts:
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[IngestFailure] = field(default_factory=list)

    def add(self, outcome: IngestResult | IngestFailure) -> None:
        self.seen += 1
        if isinstance(outcome, IngestFailure):
            self.failed += 1
            self.failures.append(outcome)
        else:
            setattr(self, outcome.outcome, getattr(self, outcome.outcome) + 1)

    def as_dict(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }


def trial_ingest(
    *, raw: dict[str, Any], seen_at: dt.datetime | None = None, registry: str = Registry.CTGOV
) -> IngestResult:
    """Upsert one registry record. Raises RecordError when the record cannot be read."""
    results = trials_ingest_batch(raws=[raw], seen_at=seen_at, registry=registry)
    result = results[0]
    if isinstance(result, IngestFailure):
        raise RecordError(result.reason, record_id=result.source)
    return result


def trials_ingest_batch(
    *,
    raws: Sequence[dict[str, Any]],
    seen_at: dt.datetime | None = None,
    registry: str = Registry.CTGOV,
    sources: Sequence[str] | None = None,
) -> list[IngestResult | IngestFailure]:
    """Upsert a page of registry records; one result per input, in order.

    Unchanged records (same content hash as stored) cost one shared lookup and one shared
    UPDATE of `last_seen`; each changed record is written in its own transaction.
    """
    seen_at = seen_at or timezone.now()
    results: list[IngestResult | IngestFailure | None] = [None] * len(raws)
    parsed: list[tuple[int, StudyRecord]] = []
    for index, raw in enumerate(raws):
        try:
            parsed.append((index, parse_study(raw)))
        except RecordError as exc:
            source = exc.record_id or study_id(raw) or (sources[index] if sources else f"#{index}")
            results[index] = IngestFailure(source, exc.reason)

    # Within one page the registry may repeat a study; the later copy wins, once.
    latest: dict[str, tuple[int, StudyRecord]] = {}
    for index, record in parsed:
        latest[record.nct_id] = (index, record)

    existing = {
        row[0]: (row[1], row[2])
        for row in Trial.objects.filter(registry=registry, registry_id__in=latest).values_list(
            "registry_id", "pk", "content_hash"
        )
    }
    unchanged_ids: list[int] = []
    for nct_id, (index, record) in latest.items():
        known = existing.get(nct_id)
        if known is not None and known[1] == record.content_hash:
            unchanged_ids.append(known[0])
            results[index] = IngestResult(nct_id, "unchanged", known[0])
            continue
        try:
            results[index] = _upsert(record, registry=registry, seen_at=seen_at)
        except Exception as exc:  # one bad record must not stop the page
            logger.exception("ingest of %s failed", nct_id)
            results[index] = IngestFailure(nct_id, f"{type(exc).__name__}: {exc}")
    if unchanged_ids:
        Trial.objects.filter(pk__in=unchanged_ids).update(last_seen=seen_at, removed_at=None)

    # Duplicates within the page point at the result of the copy that was kept.
    for index, record in parsed:
        if results[index] is None:
            results[index] = results[latest[record.nct_id][0]]
    return [r for r in results if r is not None]


@transaction.atomic
def _upsert(record: StudyRecord, *, registry: str, seen_at: dt.datetime) -> IngestResult:
    trial = (
        Trial.objects.select_for_update()
        .filter(registry=registry, registry_id=record.nct_id)
        .first()
    )
    created = trial is None
    if trial is None:
        trial = Trial(registry=registry, registry_id=record.nct_id, first_seen=seen_at)
    elif trial.content_hash == record.content_hash:
        # Another process stored this very content since our lookup.
        Trial.objects.filter(pk=trial.pk).update(last_seen=seen_at, removed_at=None)
        return IngestResult(record.nct_id, "unchanged", trial.pk)

    for name in _TRIAL_FIELDS:
        setattr(trial, name, getattr(record, name))
    trial.phases = list(record.phases)
    trial.keywords = list(record.keywords)
    trial.last_seen = seen_at
    trial.removed_at = None
    trial.save()

    if not created:
        trial.conditions.all().delete()
        trial.interventions.all().delete()
        trial.locations.all().delete()
    Condition.objects.bulk_create(
        Condition(trial=trial, name=name, disease=normalise_condition(name), order=i)
        for i, name in enumerate(record.conditions)
    )
    Intervention.objects.bulk_create(_interventions(trial, record))
    Location.objects.bulk_create(
        Location(
            trial=trial,
            facility=loc.facility,
            city=loc.city,
            state=loc.state,
            zip=loc.zip,
            country=loc.country,
            status=loc.status,
            latitude=loc.latitude,
            longitude=loc.longitude,
            contacts=list(loc.contacts),
            order=i,
        )
        for i, loc in enumerate(record.locations)
    )
    TrialVersion.objects.create(
        trial=trial,
        content_hash=record.content_hash,
        last_update_posted=record.last_update_posted,
        fetched_at=seen_at,
        raw=record.raw,
    )
    trial_facets_refresh(trial=trial, conditions=record.conditions)
    return IngestResult(record.nct_id, "created" if created else "updated", trial.pk)


def _interventions(trial: Trial, record: StudyRecord) -> Iterable[Intervention]:
    for i, item in enumerate(record.interventions):
        match = classify_intervention(item.name, item.other_names, item.description)
        yield Intervention(
            trial=trial,
            type=item.type,
            name=item.name,
            other_names=list(item.other_names),
            description=item.description,
            cytokine_family=match.family if match else "",
            order=i,
        )
