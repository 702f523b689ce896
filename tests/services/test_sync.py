"""The registry sync service against a real local registry-shaped HTTP server."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import build_study
from tests.fake_registry import FakeRegistry, Fault
from trials.models import SyncOutcome, SyncRun, SyncSource, Trial, TrialVersion
from trials.registry.client import RegistryClient
from trials.services.sync import SyncAlreadyRunning, SyncInterrupted, sync_registry

pytestmark = pytest.mark.django_db

ClientFactory = Callable[..., RegistryClient]


def _ids(n: int, start: int = 1) -> list[str]:
    return [f"NCT9{i:07d}" for i in range(start, start + n)]


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    with FakeRegistry([build_study(i) for i in _ids(7)]) as server:
        yield server


@pytest.fixture
def client(registry: FakeRegistry) -> Iterator[RegistryClient]:
    # Small pages make paging visible; tiny backoff and no rate limit keep tests fast.
    with RegistryClient(
        base_url=registry.url,
        page_size=3,
        max_retries=2,
        backoff_factor=0.01,
        requests_per_minute=0,
        read_timeout=2,
    ) as c:
        yield c


def _stored_ids() -> list[str]:
    return sorted(Trial.objects.values_list("registry_id", flat=True))


def test_full_sync_pages_through_everything_including_an_empty_last_page(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    registry.set_studies([build_study(i) for i in _ids(6)])  # 3 + 3 + an empty page
    run = sync_registry(client=client, full=True)
    assert run.outcome == SyncOutcome.SUCCEEDED
    assert (run.seen, run.created, run.failed) == (6, 6, 0)
    assert _stored_ids() == _ids(6)
    assert len(registry.requests_to("/studies")) == 3
    assert run.checkpoint["pages_done"] == 3


def test_resync_of_unchanged_registry_counts_all_unchanged(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    sync_registry(client=client, full=True)
    run = sync_registry(client=client, full=True)
    assert (run.seen, run.created, run.updated, run.unchanged) == (7, 0, 0, 7)
    assert TrialVersion.objects.count() == 7


def test_incremental_run_asks_from_last_success_minus_one_day(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    first = sync_registry(client=client, full=True)
    registry.data_timestamp = "2099-01-01T00:00:00"  # the registry has new data
    second = sync_registry(client=client)
    expected_since = (first.started_at.date() - dt.timedelta(days=1)).isoformat()
    assert second.parameters == {"mode": "incremental", "since": expected_since}
    last = registry.requests_to("/studies")[-1]
    assert last.params["filter.advanced"] == f"AREA[LastUpdatePostDate]RANGE[{expected_since},MAX]"


def test_run_is_skipped_when_registry_data_has_not_moved(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    sync_registry(client=client, full=True)
    before = len(registry.requests_to("/studies"))
    run = sync_registry(client=client)
    assert run.outcome == SyncOutcome.SKIPPED
    assert len(registry.requests_to("/studies")) == before
    forced = sync_registry(client=client, force=True)
    assert forced.outcome == SyncOutcome.SUCCEEDED


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(429, retry_after=0),
        Fault.status(429),
        Fault.status(503),
        Fault.truncate(),
        Fault.invalid_json(),
        Fault.drop_connection(),
        Fault.delay(3),  # longer than the client's 2 s read timeout
    ],
    ids=[
        "429-retry-after",
        "429-no-retry-after",
        "503",
        "truncated",
        "invalid-json",
        "dropped",
        "timeout",
    ],
)
def test_transient_fault_on_a_page_is_retried_and_the_run_completes(
    registry: FakeRegistry, client: RegistryClient, fault: Fault
) -> None:
    # Once on the version check, once on the first page.
    registry.faults.extend([replace(fault, path="/version"), replace(fault, path="/studies")])
    run = sync_registry(client=client, full=True)
    assert run.outcome == SyncOutcome.SUCCEEDED
    assert _stored_ids() == _ids(7)
    assert registry.faults == []  # both faults were really served


def test_bad_request_fails_the_run_at_once_with_the_registrys_message(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    registry.faults.append(
        Fault.status(400, body={"message": "unknown parameter foo"}, path="/studies")
    )
    run = sync_registry(client=client, full=True)
    assert run.outcome == SyncOutcome.FAILED
    assert "unknown parameter foo" in run.error
    assert not run.checkpoint.get("resumable")
    assert len(registry.requests_to("/studies")) == 1


def test_run_cut_off_after_page_two_resumes_from_page_three(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    registry.set_studies([build_study(i) for i in _ids(8)])  # pages of 3: 3, 3, 2
    registry.kill_after_pages(2)
    with pytest.raises(SyncInterrupted) as interrupted:
        sync_registry(client=client, full=True)
    run = interrupted.value.run
    run.refresh_from_db()
    assert run.outcome == SyncOutcome.FAILED and run.checkpoint["resumable"]
    assert run.checkpoint["pages_done"] == 2
    assert Trial.objects.count() == 6  # the two committed pages are intact
    token = run.checkpoint["page_token"]
    assert token

    registry.kill_after_pages(None)
    resumed = sync_registry(client=client, full=True)
    assert resumed.pk == run.pk  # the same run, continued
    assert resumed.outcome == SyncOutcome.SUCCEEDED
    later = [r for r in registry.requests_to("/studies") if r.params.get("pageToken") == token]
    assert later, "the resumed run asked for page three by its token"
    assert _stored_ids() == _ids(8)
    assert TrialVersion.objects.count() == 8  # every record exactly once
    assert (resumed.seen, resumed.created) == (8, 8)


def test_run_of_a_dead_process_is_taken_over_and_resumed(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    registry.set_studies([build_study(i) for i in _ids(8)])
    registry.kill_after_pages(1)
    with pytest.raises(SyncInterrupted):
        sync_registry(client=client, full=True)
    # Make it look as if the process was killed mid-run: still "running", owner gone.
    run = SyncRun.objects.get()
    dead_pid = 2**22 + 12345  # above pid_max on Linux by default: no such process
    SyncRun.objects.filter(pk=run.pk).update(
        outcome=SyncOutcome.RUNNING,
        owner=f"{os.uname().nodename}:{dead_pid}",
        heartbeat_at=timezone.now(),
    )
    registry.kill_after_pages(None)
    resumed = sync_registry(client=client, full=True)
    assert resumed.pk == run.pk and resumed.outcome == SyncOutcome.SUCCEEDED
    assert _stored_ids() == _ids(8)


def test_second_sync_while_one_is_running_does_not_start(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    live = SyncRun.objects.create(
        started_at=timezone.now(),
        source=SyncSource.REGISTRY,
        owner=f"{os.uname().nodename}:{os.getpid()}",
        heartbeat_at=timezone.now(),
    )
    with pytest.raises(SyncAlreadyRunning, match=f"#{live.pk}"):
        sync_registry(client=client, full=True)
    assert registry.requests_to("/studies") == []
    assert Trial.objects.count() == 0


def test_database_allows_only_one_running_registry_sync() -> None:
    now = timezone.now()
    SyncRun.objects.create(started_at=now, source=SyncSource.REGISTRY)
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(started_at=now, source=SyncSource.REGISTRY)
    # Snapshot imports are not held by the registry lock.
    SyncRun.objects.create(started_at=now, source=SyncSource.SNAPSHOT)


def test_trial_missing_from_a_full_run_is_marked_removed_not_deleted(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    sync_registry(client=client, full=True)
    registry.set_studies([build_study(i) for i in _ids(6)])  # the seventh left
    run = sync_registry(client=client, full=True)
    assert run.removed == 1
    gone = Trial.objects.get(registry_id=_ids(7)[-1])
    assert gone.removed_at is not None
    assert Trial.objects.filter(removed_at__isnull=True).count() == 6


def test_id_sync_marks_a_404_study_removed(registry: FakeRegistry, client: RegistryClient) -> None:
    sync_registry(client=client, full=True)
    registry.set_studies([build_study(i) for i in _ids(6)])
    run = sync_registry(client=client, nct_ids=[_ids(7)[-1], _ids(1)[0]])
    assert run.outcome == SyncOutcome.SUCCEEDED
    assert run.removed == 1
    assert Trial.objects.get(registry_id=_ids(7)[-1]).removed_at is not None
    assert Trial.objects.get(registry_id=_ids(1)[0]).removed_at is None


def test_malformed_record_is_recorded_with_its_id_and_skipped(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    bad = build_study("NCT99999999", **{"designModule.phases": {"oops": 1}})
    registry.set_studies([*[build_study(i) for i in _ids(4)], bad])
    run = sync_registry(client=client, full=True)
    assert run.outcome == SyncOutcome.SUCCEEDED
    assert run.failed == 1
    assert run.failures[0]["id"] == "NCT99999999" and "phases" in run.failures[0]["reason"]
    assert Trial.objects.count() == 4


def test_unreachable_registry_records_a_failed_run_and_raises(settings: Any) -> None:
    dead = RegistryClient(
        base_url="http://127.0.0.1:9/api/v2",
        max_retries=0,
        requests_per_minute=0,
        connect_timeout=1,
    )
    with pytest.raises(SyncInterrupted):
        sync_registry(client=dead, full=True)
    run = SyncRun.objects.get()
    assert run.outcome == SyncOutcome.FAILED and "unreachable" in run.error
