"""Fixtures for the registry client tests: a live fake registry and fast clients."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_registry import FakeRegistry, fake_nct_id, make_study
from trials.registry.client import RegistryClient

PROJECT_ROOT = Path(__file__).resolve().parents[2]

SHARED_DATA = Path(
    os.environ.get("SCREENER_SHARED_DATA") or PROJECT_ROOT.parent / "shared" / "data"
)


class SleepRecorder:
    """Stands in for time.sleep: records each wait, returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    with FakeRegistry([make_study(fake_nct_id(i)) for i in range(1, 7)]) as server:
        yield server


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(
    registry: FakeRegistry, sleeps: SleepRecorder
) -> Iterator[Callable[..., RegistryClient]]:
    """Clients on the fake registry that never really sleep: backoff and Retry-After waits
    go to `sleeps`, and rate limiting is off unless a test turns it on."""
    clients: list[RegistryClient] = []

    def factory(**overrides: Any) -> RegistryClient:
        options: dict[str, Any] = {
            "base_url": registry.url,
            "max_retries": 2,
            "backoff_factor": 0.01,
            "requests_per_minute": 0,
            "read_timeout": 5,
            "connect_timeout": 2,
            "sleep": sleeps,
        }
        options.update(overrides)
        client = RegistryClient(**options)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def shared_data() -> Path:
    """The real registry records in ../shared/data (or $SCREENER_SHARED_DATA)."""
    if not (SHARED_DATA / "ctgov" / "studies").is_dir():
        pytest.skip(f"registry records not found at {SHARED_DATA} (set SCREENER_SHARED_DATA)")
    return SHARED_DATA
