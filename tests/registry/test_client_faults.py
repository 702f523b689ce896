"""How RegistryClient rides out (or reports) a misbehaving registry, fault by fault.

The fake registry answers each scripted fault once, in order; `make_client` uses
max_retries=2 (so at most 3 requests per call), backoff_factor=0.01 and a sleep that only
records its waits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from tests.fake_registry import Fault
from trials.registry.client import (
    RegistryBadRequest,
    RegistryBadResponse,
    RegistryError,
    RegistryUnavailable,
)

MAX_RETRIES = 2  # as set by the make_client fixture
TRIES = MAX_RETRIES + 1


@dataclass(frozen=True)
class Case:
    faults: list[Fault]
    raises: type[RegistryError] | None  # None: the call succeeds
    requests: int  # how many requests the registry saw
    status: int | None = None  # the error's .status, when it raises


CASES = {
    "503 then success": Case([Fault.status(503)], None, 2),
    "500, 502, then success": Case([Fault.status(500), Fault.status(502)], None, 3),
    "503 forever gives up after the retry budget": Case(
        [Fault.status(503)] * TRIES, RegistryUnavailable, TRIES, 503
    ),
    "429 forever gives up after the retry budget": Case(
        [Fault.status(429)] * TRIES, RegistryUnavailable, TRIES, 429
    ),
    "truncated body then success": Case([Fault.truncate()], None, 2),
    "invalid JSON then success": Case([Fault.invalid_json()], None, 2),
    "invalid JSON forever is a bad response": Case(
        [Fault.invalid_json()] * TRIES, RegistryBadResponse, TRIES
    ),
    "truncated forever is a bad response": Case(
        [Fault.truncate()] * TRIES, RegistryBadResponse, TRIES
    ),
    "dropped connection then success": Case([Fault.drop_connection()], None, 2),
    "dropped connection forever is unavailable": Case(
        [Fault.drop_connection()] * TRIES, RegistryUnavailable, TRIES
    ),
    "400 fails at once": Case([Fault.status(400)], RegistryBadRequest, 1, 400),
    "401 is not retried": Case([Fault.status(401)], RegistryError, 1, 401),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_fault(registry, make_client, case):
    registry.faults.extend(case.faults)
    client = make_client()

    if case.raises is None:
        assert client.version().api_version == "2.0.3"
    else:
        with pytest.raises(case.raises) as caught:
            client.version()
        assert type(caught.value) is case.raises
        assert caught.value.status == case.status
        assert caught.value.url.endswith("/version")
    assert len(registry.requests) == case.requests
    assert registry.faults == []


def test_429_waits_as_long_as_retry_after_says(registry, make_client, sleeps, caplog):
    registry.faults.append(Fault.status(429, retry_after=3))
    with caplog.at_level(logging.WARNING, logger="trials.registry.client"):
        make_client().version()

    assert sleeps.waits == [3.0]
    assert len(registry.requests) == 2
    assert "HTTP 429" in caplog.text and "waiting 3.00s (Retry-After)" in caplog.text


def test_429_without_retry_after_backs_off_exponentially(registry, make_client, sleeps):
    registry.faults.extend([Fault.status(429), Fault.status(429)])
    make_client(backoff_factor=0.5).version()

    # urllib3: no wait before the first retry, then factor * 2**(n-1) plus up to factor jitter.
    assert len(sleeps.waits) == 1
    assert 1.0 <= sleeps.waits[0] <= 1.5
    assert len(registry.requests) == 3


def test_a_retry_after_beyond_the_cap_is_cut_to_the_cap(registry, make_client, sleeps):
    registry.faults.append(Fault.status(503, retry_after=86400))
    make_client().version()

    assert sleeps.waits == [300.0]


def test_body_retries_back_off_like_status_retries(registry, make_client, sleeps):
    registry.faults.extend([Fault.invalid_json(), Fault.invalid_json()])
    make_client(backoff_factor=0.5).version()

    assert len(sleeps.waits) == 1 and 1.0 <= sleeps.waits[0] <= 1.5


def test_a_read_timeout_is_retried(registry, make_client):
    registry.faults.append(Fault.delay(1.0))
    client = make_client(read_timeout=0.2)

    assert client.version().api_version == "2.0.3"
    assert len(registry.requests) == 2


def test_bad_request_carries_the_registrys_json_message(registry, make_client):
    registry.faults.append(
        Fault.status(400, body={"message": "`query.recrs` is unknown parameter"})
    )
    with pytest.raises(RegistryBadRequest) as caught:
        make_client().version()

    assert caught.value.message == "`query.recrs` is unknown parameter"
    assert len(registry.requests) == 1


def test_bad_request_carries_a_plain_text_message(registry, make_client):
    registry.faults.append(Fault.status(400, body="pageSize must be a number"))
    with pytest.raises(RegistryBadRequest) as caught:
        make_client().version()

    assert caught.value.message == "pageSize must be a number"


def test_unreachable_registry_is_unavailable(make_client, sleeps):
    client = make_client(base_url="http://127.0.0.1:9/api/v2", max_retries=1)  # discard port

    with pytest.raises(RegistryUnavailable):
        client.version()
