"""The fault suite: each registry or database fault during a sync ends the run in a clear
state, keeps every record committed before it, and the next run completes with exactly the
server's set of records."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.db import connection

from tests.conftest import build_study
from tests.fake_registry import FakeRegistry, Fault
from trials.models import SyncOutcome, SyncRun, Trial, TrialVersion
from trials.registry.client import RegistryClient
from trials.services.sync import SyncInterrupted, SyncProgress, sync_registry

pytestmark = pytest.mark.django_db

IDS = [f"NCT9{i:07d}" for i in range(1, 11)]  # ten studies: pages of 3, 3, 3, 1


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    with FakeRegistry([build_study(i) for i in IDS]) as server:
        yield server


@pytest.fixture
def client(registry: FakeRegistry) -> Iterator[RegistryClient]:
    with RegistryClient(
        base_url=registry.url,
        page_size=3,
        max_retries=2,  # three tries: a burst of more than three faults fails the run
        backoff_factor=0.01,
        requests_per_minute=0,
        read_timeout=1,
    ) as c:
        yield c


@dataclass(frozen=True)
class Scenario:
    name: str
    faults: Callable[[], list[Fault]]
    interrupted: bool  # True: the first run fails resumably; False: it rides the fault out


SCENARIOS = [
    Scenario(
        "429 burst within the retry budget",
        lambda: [Fault.status(429, retry_after=0, path="/studies")] * 2,
        False,
    ),
    Scenario(
        "429 burst beyond the retry budget",
        lambda: [Fault.status(429, retry_after=0, path="/studies")] * 6,
        True,
    ),
    Scenario(
        "5xx run beyond the retry budget",
        lambda: [Fault.status(c, path="/studies") for c in (500, 502, 503, 504, 503)],
        True,
    ),
    Scenario(
        "timeouts beyond the retry budget", lambda: [Fault.delay(1.5, path="/studies")] * 4, True
    ),
    Scenario(
        "truncated bodies, one then recovery", lambda: [Fault.truncate(path="/studies")], False
    ),
    Scenario(
        "truncated bodies beyond the retry budget",
        lambda: [Fault.truncate(path="/studies")] * 12,
        True,
    ),
    Scenario(
        "invalid JSON beyond the retry budget",
        lambda: [Fault.invalid_json(path="/studies")] * 12,
        True,
    ),
    Scenario(
        "dropped connections beyond the retry budget",
        lambda: [Fault.drop_connection(path="/studies")] * 12,
        True,
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fault_ends_in_a_clear_state_and_the_next_run_completes(
    registry: FakeRegistry, client: RegistryClient, scenario: Scenario
) -> None:
    # Let the first page through, then the faults hit the second.
    first_page_done: list[int] = []

    def progress(p: SyncProgress) -> None:
        if not first_page_done:
            first_page_done.append(1)
            registry.faults.extend(scenario.faults())

    if scenario.interrupted:
        with pytest.raises(SyncInterrupted):
            sync_registry(client=client, full=True, progress=progress)
        run = SyncRun.objects.get()
        assert run.outcome == SyncOutcome.FAILED and run.checkpoint["resumable"]
        assert run.error  # the reason is recorded
        assert Trial.objects.count() == 3  # the first page, committed before the fault, intact
        registry.faults.clear()
        resumed = sync_registry(client=client, full=True)
        assert resumed.pk == run.pk
    else:
        resumed = sync_registry(client=client, full=True, progress=progress)
    assert resumed.outcome == SyncOutcome.SUCCEEDED
    assert sorted(Trial.objects.values_list("registry_id", flat=True)) == IDS
    assert TrialVersion.objects.count() == len(IDS)


def test_malformed_records_are_recorded_skipped_and_do_not_stop_the_rest(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    missing_id = build_study("NCT98888801")
    del missing_id["protocolSection"]["identificationModule"]["nctId"]
    wrong_type = build_study("NCT98888802", **{"conditionsModule.conditions": {"a": 1}})
    not_an_object = build_study("NCT98888803", **{"designModule": ["PHASE2"]})
    new_enum = build_study(
        "NCT98888804",
        **{"statusModule.overallStatus": "PAUSED_FOR_REVIEW", "designModule.phases": ["PHASE5"]},
    )
    huge = build_study("NCT98888805", **{"identificationModule.briefTitle": "IL-2 " * 50_000})
    registry.set_studies(
        [*[build_study(i) for i in IDS], missing_id, wrong_type, not_an_object, new_enum, huge]
    )
    run = sync_registry(client=client, full=True)
    assert run.outcome == SyncOutcome.SUCCEEDED
    assert run.failed == 3
    reasons = {f["id"]: f["reason"] for f in run.failures}
    assert "conditions" in reasons["NCT98888802"]
    assert "designModule" in reasons["NCT98888803"]
    assert any("nctId" in reason for reason in reasons.values())
    # New enum values and very long text are stored as given.
    assert Trial.objects.get(registry_id="NCT98888804").overall_status == "PAUSED_FOR_REVIEW"
    assert len(Trial.objects.get(registry_id="NCT98888805").brief_title) == 250_000
    assert Trial.objects.count() == len(IDS) + 2


def test_duplicate_studies_across_pages_are_stored_once(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    studies = [build_study(i) for i in IDS]
    changed_copy = copy.deepcopy(studies[0])
    changed_copy["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    registry.set_studies([*studies, studies[1], changed_copy], keep_duplicates=True)
    run = sync_registry(client=client, full=True)
    assert run.outcome == SyncOutcome.SUCCEEDED
    assert run.seen == 12
    assert Trial.objects.count() == len(IDS)
    # The later copy is the registry's latest word.
    assert Trial.objects.get(registry_id=IDS[0]).overall_status == "COMPLETED"


def test_an_empty_page_in_the_middle_does_not_end_the_listing(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    registry.faults.append(Fault.empty_page(request_number=3))  # the second page
    run = sync_registry(client=client, full=True)
    assert run.outcome == SyncOutcome.SUCCEEDED
    assert sorted(Trial.objects.values_list("registry_id", flat=True)) == IDS
    assert run.checkpoint["pages_done"] == 5


def test_a_page_token_the_server_rejects_fails_the_run_and_a_fresh_run_completes(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    registry.faults.append(
        Fault.status(400, body={"message": "Invalid pageToken"}, path="/studies", request_number=3)
    )
    run = sync_registry(client=client, full=True)
    assert run.outcome == SyncOutcome.FAILED
    assert "Invalid pageToken" in run.error
    assert not run.checkpoint.get("resumable")  # our request was wrong: start over
    assert Trial.objects.count() == 3
    again = sync_registry(client=client, full=True)
    assert again.pk != run.pk and again.outcome == SyncOutcome.SUCCEEDED
    assert Trial.objects.count() == len(IDS)


@pytest.mark.django_db(transaction=True)
def test_database_connection_dropped_mid_run_leaves_a_resumable_run(
    registry: FakeRegistry, client: RegistryClient
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a server-side dropped connection needs PostgreSQL (CI's second pass)")
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    admin_url = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"

    def drop_connection_after_first_page(p: SyncProgress) -> None:
        if p.pages_done == 1:
            pid = connection.connection.info.backend_pid
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    with pytest.raises(Exception) as crashed:
        sync_registry(client=client, full=True, progress=drop_connection_after_first_page)
    assert "terminat" in str(crashed.value).lower() or "closed" in str(crashed.value).lower()
    run = SyncRun.objects.get()
    assert run.outcome == SyncOutcome.FAILED and run.checkpoint["resumable"]
    assert Trial.objects.count() == 3
    resumed = sync_registry(client=client, full=True)
    assert resumed.pk == run.pk and resumed.outcome == SyncOutcome.SUCCEEDED
    assert Trial.objects.count() == len(IDS)
