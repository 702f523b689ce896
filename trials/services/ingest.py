"""Ingest: registry study records into the database.

One path for every source (registry sync, snapshot import): `trials_ingest_batch` takes
raw study objects as the API returns them, skips the unchanged ones with a hash check
and one bulk update, and upserts the changed ones, so a bad record never leaves a
half-written trial and never stops the others.

Speed comes from doing per page what used to be done per record. Everything that can
fail on a record's content (reading it, classifying interventions, extracting facets) runs
first, in Python, and a record that fails there is reported and left out. The rest of the
page is then written with one statement per model inside a savepoint; only if that fails
(a database error on some record) is the page written again one record per savepoint, so
the bad record is found and reported and the others still land.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
from collections.abc import Iterable, Iterator, Sequence
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
from trials.registry.records import (
    NCT_ID_RE,
    RecordError,
    StudyRecord,
    content_hash,
    content_hash_matches,
    parse_study,
    study_id,
)
from trials.services.bulk import insert_rows
from trials.services.facets import FacetPlan, facets_plan, trials_facets_write
from trials.services.profiles import ProfileSource

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
# Everything ingest writes on an existing trial (first_seen and the key stay as they are).
_UPDATE_FIELDS = (*_TRIAL_FIELDS, "phases", "keywords", "last_seen", "removed_at")


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
    UPDATE of `last_seen`, and are not parsed at all; the changed ones are written
    together (see the module docstring).
    """
    with _collector_paused():
        return _ingest_batch(raws, seen_at or timezone.now(), registry, sources)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a page is ingested.

    Ingest allocates hundreds of thousands of short-lived objects (row dicts, criteria,
    model instances) while the page's parsed JSON, millions of dicts and lists, is alive;
    every full collection the allocations trigger walks all of it, which cost about a
    fifth of a full ingest (profiled, 1000-record page). Nothing here depends on the
    collector (JSON has no cycles, and refcounting frees the rest); whatever cyclic
    garbage a page leaves is collected as usual once it is resumed. Left paused if the
    caller had paused it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _ingest_batch(
    raws: Sequence[dict[str, Any]],
    seen_at: dt.datetime,
    registry: str,
    sources: Sequence[str] | None,
) -> list[IngestResult | IngestFailure]:
    results: list[IngestResult | IngestFailure | None] = [None] * len(raws)

    # Hash first: most records of a re-sync are unchanged, and a record whose hash is
    # already stored was read without error when it was stored.
    guessed: dict[int, str] = {}
    for index, raw in enumerate(raws):
        ident = study_id(raw)
        if ident is not None and NCT_ID_RE.match(ident.strip()):
            guessed[index] = ident.strip()
    stored = _stored(registry, set(guessed.values()))
    hashes: list[str | None] = [None] * len(raws)
    for index, nct_id in guessed.items():
        known = stored.get(nct_id)
        if known is not None and content_hash_matches(raws[index], known[1]):
            hashes[index] = known[1]
        else:
            hashes[index] = content_hash(raws[index])

    ok: list[tuple[int, str]] = []  # (index, nct id) of every readable record, in order
    records: dict[int, StudyRecord] = {}
    for index, raw in enumerate(raws):
        nct_id = guessed.get(index)
        known = stored.get(nct_id) if nct_id else None
        if known is not None and known[1] == hashes[index]:
            ok.append((index, nct_id))  # type: ignore[arg-type]
            continue
        try:
            record = parse_study(raw, known_hash=hashes[index])
        except RecordError as exc:
            source = exc.record_id or study_id(raw) or (sources[index] if sources else f"#{index}")
            results[index] = IngestFailure(source, exc.reason)
            continue
        records[index] = record
        ok.append((index, record.nct_id))

    # Within one page the registry may repeat a study; the later copy wins, once.
    latest: dict[str, int] = {}
    for index, nct_id in ok:
        latest[nct_id] = index

    unchanged_ids: list[int] = []
    plans: list[_Plan] = []
    for nct_id, index in latest.items():
        record = records.get(index)
        known = stored.get(nct_id)
        if record is None or (known is not None and known[1] == record.content_hash):
            assert known is not None
            unchanged_ids.append(known[0])
            results[index] = IngestResult(nct_id, "unchanged", known[0])
            continue
        try:
            plans.append(_plan(index, record))
        except Exception as exc:  # one bad record must not stop the page
            logger.exception("ingest of %s failed", nct_id)
            results[index] = IngestFailure(nct_id, f"{type(exc).__name__}: {exc}")
    if unchanged_ids:
        Trial.objects.filter(pk__in=unchanged_ids).update(last_seen=seen_at, removed_at=None)

    for plan, outcome in _write_isolated(plans, registry=registry, seen_at=seen_at):
        results[plan.index] = outcome

    # Duplicates within the page point at the result of the copy that was kept.
    for index, nct_id in ok:
        if results[index] is None:
            results[index] = results[latest[nct_id]]
    return [r for r in results if r is not None]


def _stored(registry: str, nct_ids: set[str]) -> dict[str, tuple[int, str]]:
    """registry id -> (pk, content hash) of the stored trials among `nct_ids`."""
    if not nct_ids:
        return {}
    rows = Trial.objects.filter(registry=registry, registry_id__in=nct_ids).values_list(
        "registry_id", "pk", "content_hash"
    )
    return {nct_id: (pk, digest) for nct_id, pk, digest in rows}


@dataclass(slots=True)
class _Plan:
    """One changed record, read and extracted, with its child rows' fields worked out.

    Child rows are kept as field dicts, not model instances: a page write that fails is
    written again record by record, and instances would carry the rolled-back ids.
    """

    index: int
    record: StudyRecord
    facets: FacetPlan
    conditions: list[dict[str, Any]]
    interventions: list[dict[str, Any]]
    locations: list[dict[str, Any]]


def _plan(index: int, record: StudyRecord) -> _Plan:
    """Everything about one record that can be worked out without the database."""
    return _Plan(
        index=index,
        record=record,
        facets=facets_plan(text=record.eligibility_criteria, conditions=record.conditions),
        conditions=[
            {"name": name, "disease": normalise_condition(name), "order": i}
            for i, name in enumerate(record.conditions)
        ],
        interventions=list(_interventions(record)),
        locations=[
            dict(
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
        ],
    )


def _write_isolated(
    plans: list[_Plan], *, registry: str, seen_at: dt.datetime
) -> list[tuple[_Plan, IngestResult | IngestFailure]]:
    """Write the plans together; if that fails, one by one, each in its own savepoint."""
    if not plans:
        return []
    try:
        return list(zip(plans, _write(plans, registry=registry, seen_at=seen_at), strict=True))
    except Exception:
        # Rolled back to before the page: find the record(s) at fault the slow way.
        logger.info("page write failed; writing its %d records one by one", len(plans))
    outcomes: list[tuple[_Plan, IngestResult | IngestFailure]] = []
    for plan in plans:
        nct_id = plan.record.nct_id
        try:
            [result] = _write([plan], registry=registry, seen_at=seen_at)
        except Exception as exc:  # one bad record must not stop the page
            logger.exception("ingest of %s failed", nct_id)
            outcomes.append((plan, IngestFailure(nct_id, f"{type(exc).__name__}: {exc}")))
        else:
            outcomes.append((plan, result))
    return outcomes


@transaction.atomic
def _write(plans: list[_Plan], *, registry: str, seen_at: dt.datetime) -> list[IngestResult]:
    """Upsert the planned trials with one statement per model; all or nothing."""
    # Lock the rows and look again: another process may have stored a record since the
    # lookup in trials_ingest_batch.
    locked = {
        nct_id: (pk, digest)
        for nct_id, pk, digest in Trial.objects.select_for_update()
        .filter(registry=registry, registry_id__in=[p.record.nct_id for p in plans])
        .values_list("registry_id", "pk", "content_hash")
    }
    results: list[IngestResult] = []
    new: list[tuple[_Plan, Trial]] = []
    updated: list[tuple[_Plan, Trial]] = []
    unchanged_ids: list[int] = []
    for plan in plans:
        record = plan.record
        known = locked.get(record.nct_id)
        if known is not None and known[1] == record.content_hash:
            unchanged_ids.append(known[0])
            continue
        trial = Trial(registry=registry, registry_id=record.nct_id, first_seen=seen_at)
        if known is not None:
            trial.pk = known[0]
        for name in _TRIAL_FIELDS:
            setattr(trial, name, getattr(record, name))
        trial.phases = list(record.phases)
        trial.keywords = list(record.keywords)
        trial.last_seen = seen_at
        trial.removed_at = None
        (new if known is None else updated).append((plan, trial))
    if unchanged_ids:
        Trial.objects.filter(pk__in=unchanged_ids).update(last_seen=seen_at, removed_at=None)

    Trial.objects.bulk_create([trial for _, trial in new])  # sets pk (RETURNING)
    if updated:
        Trial.objects.bulk_update([trial for _, trial in updated], list(_UPDATE_FIELDS))
        old = [trial.pk for _, trial in updated]
        # Children are replaced, never merged: the registry record is the whole truth.
        Condition.objects.filter(trial_id__in=old).delete()
        Intervention.objects.filter(trial_id__in=old).delete()
        Location.objects.filter(trial_id__in=old).delete()

    written = new + updated
    # The planned dicts get their trial's id in place (a retry after a failed page write
    # sets it again), rather than being copied: a page has tens of thousands of sites.
    for plan, trial in written:
        for kw in (*plan.conditions, *plan.interventions, *plan.locations):
            kw["trial_id"] = trial.pk
    insert_rows(Condition, [kw for plan, _ in written for kw in plan.conditions])
    insert_rows(Intervention, [kw for plan, _ in written for kw in plan.interventions])
    insert_rows(Location, [kw for plan, _ in written for kw in plan.locations])
    insert_rows(
        TrialVersion,
        [
            {
                "trial_id": trial.pk,
                "content_hash": plan.record.content_hash,
                "last_update_posted": plan.record.last_update_posted,
                "fetched_at": seen_at,
                "raw": plan.record.raw,
            }
            for plan, trial in written
        ],
    )
    trials_facets_write(
        plans=[(trial.pk, plan.facets) for plan, trial in written],
        new_trials=not updated,
        profiles=[
            ProfileSource(
                trial=trial,
                families=[kw["cytokine_family"] for kw in plan.interventions],
                conditions=[(kw["name"], kw["disease"]) for kw in plan.conditions],
                countries=[kw["country"] for kw in plan.locations],
            )
            for plan, trial in written
        ],
    )

    outcome = {id(trial): "created" for _, trial in new} | {
        id(trial): "updated" for _, trial in updated
    }
    by_nct = {plan.record.nct_id: (trial.pk, outcome[id(trial)]) for plan, trial in written}
    for plan in plans:
        nct_id = plan.record.nct_id
        if nct_id in by_nct:
            pk, kind = by_nct[nct_id]
            results.append(IngestResult(nct_id, kind, pk))  # type: ignore[arg-type]
        else:
            results.append(IngestResult(nct_id, "unchanged", locked[nct_id][0]))
    return results


def _interventions(record: StudyRecord) -> Iterable[dict[str, Any]]:
    for i, item in enumerate(record.interventions):
        match = classify_intervention(item.name, item.other_names, item.description)
        yield {
            "type": item.type,
            "name": item.name,
            "other_names": list(item.other_names),
            "description": item.description,
            "cytokine_family": match.family if match else "",
            "order": i,
        }
