"""Registry sync: keep the cytokine trials in step with ClinicalTrials.gov.

Pages come from the registry client; each page is ingested and committed together with
the run's counts and checkpoint (the token of the next page), so a run that dies resumes
from its last committed page and nothing already written is lost. At most one registry
sync runs at a time: a partial unique index on running SyncRun rows is the lock.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from trials.models import Registry, SyncOutcome, SyncRun, SyncSource, Trial
from trials.registry.client import (
    RegistryBadRequest,
    RegistryClient,
    RegistryError,
    RegistryNotFound,
    StudyPage,
    StudyQuery,
    split_queries,
)
from trials.registry.scope import CYTOKINE_QUERY_TERMS
from trials.services.ingest import IngestCounts, IngestFailure, trials_ingest_batch

logger = logging.getLogger(__name__)

# One day of overlap on incremental windows, as AACT does: a record posted late on the
# day of the last run is fetched again rather than missed.
INCREMENTAL_OVERLAP = dt.timedelta(days=1)


class SyncAlreadyRunning(Exception):
    """Another live process holds the sync lock."""

    def __init__(self, run: SyncRun) -> None:
        super().__init__(f"sync #{run.pk} is already running (owner {run.owner})")
        self.run = run


class SyncInterrupted(Exception):
    """The registry failed mid-run after retries; the run can resume from its checkpoint."""

    def __init__(self, run: SyncRun, reason: str) -> None:
        super().__init__(f"sync #{run.pk} interrupted: {reason}")
        self.run = run


@dataclass(frozen=True, slots=True)
class SyncProgress:
    run: SyncRun
    page: StudyPage
    pages_done: int


ProgressCallback = Callable[[SyncProgress], None]


def registry_client_build() -> RegistryClient:
    return RegistryClient(
        base_url=settings.CTGOV_API_BASE,
        connect_timeout=settings.CTGOV_CONNECT_TIMEOUT,
        read_timeout=settings.CTGOV_READ_TIMEOUT,
        max_retries=settings.CTGOV_MAX_RETRIES,
        backoff_factor=settings.CTGOV_BACKOFF_FACTOR,
        requests_per_minute=settings.CTGOV_REQUESTS_PER_MINUTE,
        page_size=settings.CTGOV_PAGE_SIZE,
    )


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str, heartbeat_at: dt.datetime | None) -> bool:
    stale_after = dt.timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS)
    if heartbeat_at is None or timezone.now() - heartbeat_at > stale_after:
        return False
    host, _, pid = owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)  # signal 0: does the process exist?
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


def last_successful_registry_run() -> SyncRun | None:
    return (
        SyncRun.objects.filter(source=SyncSource.REGISTRY, outcome=SyncOutcome.SUCCEEDED)
        .order_by("-started_at")
        .first()
    )


def _parameters(*, full: bool, since: dt.date | None, nct_ids: Sequence[str]) -> dict[str, object]:
    if nct_ids:
        return {"mode": "ids", "ids": sorted(nct_ids)}
    if full or since is None:
        return {"mode": "full"}
    return {"mode": "incremental", "since": since.isoformat()}


def _unfinished_run() -> SyncRun | None:
    """The registry run a new start must deal with first: the running one (live or dead),
    or a failed-but-resumable one newer than the last success."""
    running = SyncRun.objects.filter(
        source=SyncSource.REGISTRY, outcome=SyncOutcome.RUNNING
    ).first()
    if running is not None:
        return running
    last_ok = last_successful_registry_run()
    failed = SyncRun.objects.filter(
        source=SyncSource.REGISTRY, outcome=SyncOutcome.FAILED, checkpoint__resumable=True
    )
    if last_ok is not None:
        failed = failed.filter(started_at__gt=last_ok.started_at)
    return failed.order_by("-started_at", "-id").first()


def _acquire(parameters: dict[str, object]) -> SyncRun:
    """Take the sync lock: resume a dead or interrupted run, or start a new one.

    Raises SyncAlreadyRunning when a live process holds it. An interrupted run is resumed
    whatever the new start asked for: finishing it first is what keeps the data whole.
    """
    now = timezone.now()
    me = _owner()
    unfinished = _unfinished_run()
    if unfinished is not None and unfinished.outcome == SyncOutcome.RUNNING:
        if _owner_alive(unfinished.owner, unfinished.heartbeat_at):
            raise SyncAlreadyRunning(unfinished)
        # Compare-and-swap on the owner and heartbeat we saw: only one process wins.
        taken = SyncRun.objects.filter(
            pk=unfinished.pk, owner=unfinished.owner, heartbeat_at=unfinished.heartbeat_at
        ).update(owner=me, heartbeat_at=now)
        if not taken:
            raise SyncAlreadyRunning(unfinished)
        logger.info("resuming sync #%s left by %s", unfinished.pk, unfinished.owner)
        unfinished.refresh_from_db()
        return unfinished
    if unfinished is not None:
        try:
            with transaction.atomic():
                taken = SyncRun.objects.filter(pk=unfinished.pk, outcome=SyncOutcome.FAILED).update(
                    outcome=SyncOutcome.RUNNING,
                    owner=me,
                    heartbeat_at=now,
                    error="",
                    finished_at=None,
                )
        except IntegrityError:  # another process started a run in between
            taken = 0
        if taken:
            logger.info("resuming interrupted sync #%s", unfinished.pk)
            unfinished.refresh_from_db()
            return unfinished
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                started_at=now,
                source=SyncSource.REGISTRY,
                parameters=parameters,
                owner=me,
                heartbeat_at=now,
            )
    except IntegrityError:
        running = SyncRun.objects.filter(
            source=SyncSource.REGISTRY, outcome=SyncOutcome.RUNNING
        ).first()
        raise SyncAlreadyRunning(running or SyncRun(owner="another process")) from None


def sync_registry(
    *,
    full: bool = False,
    since: dt.date | None = None,
    nct_ids: Sequence[str] = (),
    force: bool = False,
    client: RegistryClient | None = None,
    progress: ProgressCallback | None = None,
) -> SyncRun:
    """Run (or resume) one registry sync and return its SyncRun.

    Incremental by default: from the last successful run's date minus one day; a full run
    when asked or when no run has succeeded yet. Skipped when the registry's data has not
    moved since the last successful run, unless forced. Raises SyncAlreadyRunning, or
    SyncInterrupted after marking the run failed but resumable.
    """
    own_client = client is None
    client = client or registry_client_build()
    try:
        return _sync(
            client, full=full, since=since, nct_ids=nct_ids, force=force, progress=progress
        )
    finally:
        if own_client:
            client.close()


def _sync(
    client: RegistryClient,
    *,
    full: bool,
    since: dt.date | None,
    nct_ids: Sequence[str],
    force: bool,
    progress: ProgressCallback | None,
) -> SyncRun:
    last_ok = last_successful_registry_run()
    if since is None and not full and not nct_ids and last_ok is not None:
        since = last_ok.started_at.date() - INCREMENTAL_OVERLAP
    parameters = _parameters(full=full, since=since, nct_ids=nct_ids)

    try:
        version = client.version()
    except RegistryError as exc:
        run = _record_failure_before_start(parameters, exc)
        if isinstance(exc, RegistryBadRequest):
            return run
        raise SyncInterrupted(run, str(exc)) from exc
    if (
        not (force or full or nct_ids)
        and _unfinished_run() is None
        and last_ok is not None
        and last_ok.data_timestamp
        and last_ok.data_timestamp == version.data_timestamp
    ):
        now = timezone.now()
        return SyncRun.objects.create(
            started_at=now,
            finished_at=now,
            source=SyncSource.REGISTRY,
            parameters=parameters,
            outcome=SyncOutcome.SKIPPED,
            data_timestamp=version.data_timestamp,
            error=f"registry data unchanged since {version.data_timestamp}",
        )

    run = _acquire(parameters)
    if not run.data_timestamp:
        run.data_timestamp = version.data_timestamp
        run.save(update_fields=["data_timestamp"])
    try:
        _fetch_all(client, run, progress)
        if run.parameters.get("mode") == "full":
            run.removed = _mark_removed_unseen(run)
        elif run.parameters.get("mode") == "ids":
            run.removed = _check_missing_ids(client, run)
    except RegistryBadRequest as exc:
        _finish(run, SyncOutcome.FAILED, error=f"the registry refused our request: {exc}")
        return run
    except RegistryError as exc:
        run.checkpoint = {**run.checkpoint, "resumable": True}
        _finish(run, SyncOutcome.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise SyncInterrupted(run, str(exc)) from exc
    except BaseException as exc:
        # A crash (database gone, kill signal turned exception): leave the run resumable.
        run.checkpoint = {**run.checkpoint, "resumable": True}
        if isinstance(exc, DatabaseError) and not connection.in_atomic_block:
            # The connection may be dead; the next query opens a fresh one.
            connection.close()
        try:
            _finish(run, SyncOutcome.FAILED, error=f"{type(exc).__name__}: {exc}")
        except Exception:
            logger.exception("could not record the failure of sync #%s", run.pk)
        raise
    _finish(run, SyncOutcome.SUCCEEDED)
    return run


def _queries(run: SyncRun) -> list[StudyQuery]:
    params = run.parameters
    if params.get("mode") == "ids":
        return [StudyQuery(nct_ids=tuple(params["ids"]))]
    since = dt.date.fromisoformat(params["since"]) if params.get("since") else None
    return split_queries(CYTOKINE_QUERY_TERMS, updated_since=since)


def _fetch_all(client: RegistryClient, run: SyncRun, progress: ProgressCallback | None) -> None:
    queries = _queries(run)
    while (query_index := int(run.checkpoint.get("query_index", 0))) < len(queries):
        token = run.checkpoint.get("page_token")
        for page in client.iter_pages(query=queries[query_index], page_token=token):
            _commit_page(run, page, query_index)
            if progress:
                progress(SyncProgress(run, page, int(run.checkpoint.get("pages_done", 0))))


def _commit_page(run: SyncRun, page: StudyPage, query_index: int) -> None:
    """Ingest one page and move the checkpoint past it, in one transaction."""
    counts = IngestCounts()
    with transaction.atomic():
        for result in trials_ingest_batch(raws=page.studies, seen_at=run.started_at):
            counts.add(result)
        for name, value in counts.as_dict().items():
            setattr(run, name, getattr(run, name) + value)
        run.failures = [
            *run.failures,
            *(
                {"id": f.source, "reason": f.reason}
                for f in counts.failures
                if isinstance(f, IngestFailure)
            ),
        ]
        # The checkpoint names what to fetch next: this query's next page, or the next
        # query's first page once this one has no more.
        run.checkpoint = {
            **run.checkpoint,
            "query_index": query_index if page.next_page_token else query_index + 1,
            "page_token": page.next_page_token,
            "pages_done": int(run.checkpoint.get("pages_done", 0)) + 1,
        }
        run.heartbeat_at = timezone.now()
        run.save()


def _mark_removed_unseen(run: SyncRun) -> int:
    """After a full run: trials it did not return have left the registry's scope."""
    return Trial.objects.filter(
        registry=Registry.CTGOV, removed_at__isnull=True, last_seen__lt=run.started_at
    ).update(removed_at=timezone.now())


def _check_missing_ids(client: RegistryClient, run: SyncRun) -> int:
    """Ids asked for but not returned: ask for each; a 404 means it left the registry."""
    wanted = set(run.parameters.get("ids", []))
    seen = set(
        Trial.objects.filter(registry_id__in=wanted, last_seen__gte=run.started_at).values_list(
            "registry_id", flat=True
        )
    )
    removed = 0
    for nct_id in sorted(wanted - seen):
        try:
            raw = client.get_study(nct_id)
        except RegistryNotFound:
            removed += Trial.objects.filter(registry_id=nct_id, removed_at__isnull=True).update(
                removed_at=timezone.now()
            )
            continue
        with transaction.atomic():
            for result in trials_ingest_batch(raws=[raw], seen_at=run.started_at):
                run.seen += 1
                if isinstance(result, IngestFailure):
                    run.failed += 1
                    run.failures = [*run.failures, {"id": result.source, "reason": result.reason}]
                else:
                    setattr(run, result.outcome, getattr(run, result.outcome) + 1)
            run.save()
    return removed


def _finish(run: SyncRun, outcome: str, *, error: str = "") -> None:
    run.outcome = outcome
    run.error = error
    run.finished_at = timezone.now()
    run.heartbeat_at = run.finished_at
    run.save()


def _record_failure_before_start(parameters: dict[str, object], exc: RegistryError) -> SyncRun:
    now = timezone.now()
    run = SyncRun.objects.create(
        started_at=now,
        finished_at=now,
        source=SyncSource.REGISTRY,
        parameters=parameters,
        outcome=SyncOutcome.FAILED,
        error=f"registry unreachable: {type(exc).__name__}: {exc}",
    )
    return run


def sync_summary(run: SyncRun) -> str:
    counts = ", ".join(f"{value} {name}" for name, value in run.counts.items())
    text = f"sync #{run.pk} {run.outcome}: {counts}"
    return f"{text} ({run.error})" if run.error else text
