"""Celery tasks run by a real worker: the memory broker by default, Redis in CI's
PostgreSQL pass (CELERY_BROKER_URL=redis://...)."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings

from screener.celery import app
from tests.conftest import build_study
from tests.fake_registry import FakeRegistry
from trials.models import SyncOutcome, SyncRun, Trial
from trials.tasks import sync_registry


@pytest.fixture
def registry(settings) -> Iterator[FakeRegistry]:
    with FakeRegistry([build_study(f"NCT9{i:07d}") for i in range(1, 5)]) as server:
        settings.CTGOV_API_BASE = server.url
        settings.CTGOV_REQUESTS_PER_MINUTE = 0
        settings.CTGOV_BACKOFF_FACTOR = 0.01
        yield server


@pytest.fixture
def worker(transactional_db) -> Iterator[None]:
    # The solo pool runs tasks in the worker's own thread: one task at a time, as in CI.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


def _wait_for_run(timeout: float = 60) -> SyncRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = SyncRun.objects.exclude(outcome=SyncOutcome.RUNNING).first()
        if run is not None:
            return run
        time.sleep(0.2)
    raise AssertionError(
        f"no finished SyncRun within {timeout}s (broker {django_settings.CELERY_BROKER_URL})"
    )


def test_worker_runs_the_sync_task_from_the_broker(registry: FakeRegistry, worker: None) -> None:
    sync_registry.delay(full=True)
    run = _wait_for_run()
    assert run.outcome == SyncOutcome.SUCCEEDED
    assert Trial.objects.count() == 4
    assert len(registry.requests_to("/studies")) >= 1


def test_task_returns_a_summary_and_takes_no_patient_data(registry: FakeRegistry, db) -> None:
    summary = sync_registry.apply(kwargs={"full": True}).get()
    assert summary.startswith("sync #") and "4 created" in summary
    # The task's signature is flags only: nothing a person typed can reach it.
    assert list(inspect.signature(sync_registry.run).parameters) == ["full", "force"]


def test_task_declares_retries_and_time_limits() -> None:
    assert sync_registry.max_retries == 3
    assert sync_registry.soft_time_limit == 3600
    assert sync_registry.time_limit == 3660
    names = {exc.__name__ for exc in sync_registry.autoretry_for}
    assert names == {"SyncInterrupted", "OperationalError"}
