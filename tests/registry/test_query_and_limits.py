"""StudyQuery parameters, query splitting, search scope, the rate limiter, and purity."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trials.registry.client import (
    MAX_INTR_CHARS,
    RateLimiter,
    StudyQuery,
    split_queries,
)
from trials.registry.scope import CYTOKINE_QUERY_TERMS

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            StudyQuery(intr_terms=("aldesleukin", "interferon alfa-2b", "IL-2")),
            {"query.intr": 'aldesleukin OR "interferon alfa-2b" OR "IL-2"'},
        ),
        (
            StudyQuery(updated_since=dt.date(2024, 3, 9)),
            {"filter.advanced": "AREA[LastUpdatePostDate]RANGE[2024-03-09,MAX]"},
        ),
        (
            StudyQuery(nct_ids=("NCT01234567", "nct07654321")),
            {"filter.ids": "NCT01234567,NCT07654321"},
        ),
        (
            StudyQuery(intr_terms=("CYT107",), fields=("NCTId", "LastUpdatePostDate")),
            {"query.intr": "CYT107", "fields": "NCTId,LastUpdatePostDate"},
        ),
        (StudyQuery(), {}),
    ],
    ids=["terms quoted unless one plain word", "updated_since", "ids", "fields", "empty"],
)
def test_to_params(query, expected):
    assert query.to_params() == expected


@pytest.mark.parametrize(
    "kwargs",
    [{"intr_terms": ('say "hi"',)}, {"intr_terms": ("  ",)}, {"nct_ids": ("NCT1234",)}],
    ids=["quote in term", "blank term", "bad NCT id"],
)
def test_query_rejects_what_the_registry_could_not_read(kwargs):
    with pytest.raises(ValueError):
        StudyQuery(**kwargs)


TERM = st.text(alphabet="abcdefghijklmnopqrstuvwxyzAB0123456789- ", min_size=1, max_size=40)


@given(terms=st.lists(TERM, max_size=80), max_chars=st.integers(min_value=42, max_value=400))
def test_split_queries_keeps_every_term_exactly_once_within_the_limit(terms, max_chars):
    queries = split_queries(terms, max_chars=max_chars)

    expected: list[str] = []
    for term in (t.strip() for t in terms):
        if term and term.casefold() not in {e.casefold() for e in expected}:
            expected.append(term)
    assert [t for q in queries for t in q.intr_terms] == expected
    assert all(len(q.to_params()["query.intr"]) <= max_chars for q in queries)


def test_split_queries_splits_the_cytokine_terms_and_carries_the_window():
    since = dt.date(2025, 1, 1)
    queries = split_queries(CYTOKINE_QUERY_TERMS, max_chars=200, updated_since=since)

    assert len(queries) > 3
    assert [t for q in queries for t in q.intr_terms] == list(CYTOKINE_QUERY_TERMS)
    assert all(q.updated_since == since for q in queries)
    assert all(len(q.to_params()["query.intr"]) <= 200 for q in queries)


def test_split_queries_rejects_a_term_longer_than_the_limit():
    with pytest.raises(ValueError, match="longer than 10"):
        split_queries(["interferon gamma-1b"], max_chars=10)


def test_cytokine_terms_cover_the_contract_names_once_each():
    folded = [t.casefold() for t in CYTOKINE_QUERY_TERMS]
    assert len(folded) == len(set(folded))
    for name in (
        "aldesleukin",
        "bempegaldesleukin",
        "nemvaleukin",
        "CYT107",
        "pegilodecakin",
        "NHS-IL12",
        "tavokinogene telseplasmid",
        "N-803",
        "nogapendekin alfa inbakicept",
        "NKTR-255",
        "interleukin-18",
        "interleukin-21",
        "interferon alfa-2b",
        "ropeginterferon",
        "interferon beta",
        "interferon gamma",
        "peginterferon lambda",
    ):
        assert name.casefold() in folded, name
    assert len(split_queries(CYTOKINE_QUERY_TERMS)) == 1  # one request set at the default


class FakeClock:
    """A monotonic clock that moves only when slept on or advanced."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_back_to_back_requests():
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock, sleep=clock.sleep)

    waits = [limiter.wait() for _ in range(3)]

    assert waits == [0.0, 1.0, 1.0]
    assert clock.slept == [1.0, 1.0]


def test_rate_limiter_only_waits_out_the_rest_of_the_interval():
    clock = FakeClock()
    limiter = RateLimiter(30, clock=clock, sleep=clock.sleep)
    limiter.wait()
    clock.now += 1.5
    assert limiter.wait() == pytest.approx(0.5)
    clock.now += 5
    assert limiter.wait() == 0.0


def test_rate_limiter_zero_means_unlimited():
    clock = FakeClock()
    limiter = RateLimiter(0, clock=clock, sleep=clock.sleep)
    assert [limiter.wait() for _ in range(5)] == [0.0] * 5
    assert clock.slept == []


def test_client_requests_pass_through_the_rate_limiter(registry, make_client):
    clock = FakeClock()
    client = make_client(requests_per_minute=120, clock=clock, sleep=clock.sleep)

    for _ in range(3):
        client.version()

    assert clock.slept == [0.5, 0.5]
    assert len(registry.requests) == 3


def test_default_split_limit_leaves_room_in_an_8k_request_line():
    worst_case_encoded = 3 * MAX_INTR_CHARS  # every character percent-encoded
    assert worst_case_encoded + 1000 < 8192


def test_registry_modules_import_nothing_from_django():
    code = (
        "import sys\n"
        "import trials.registry.client, trials.registry.scope, tests.fake_registry\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[]"
