"""Page-at-a-time ingest: one write per model per page, and per-record isolation kept when
the database refuses one record of the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import StudyFactory
from trials.models import Condition, Criterion, Facet, Location, ScreeningProfile, Trial
from trials.services import ingest
from trials.services.ingest import IngestFailure, IngestResult, trials_ingest_batch

pytestmark = pytest.mark.django_db

REFUSED = "Refused Hospital"


@pytest.fixture(autouse=True)
def refuse_a_facility(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database refuses any page holding a location named REFUSED (as it would a
    value out of a column's range), whichever statement of the page carries it."""
    real = ingest.insert_rows

    def insert_rows(model: Any, rows: Any, **kwargs: Any) -> None:
        if any(row.get("facility") == REFUSED for row in rows):
            raise DatabaseError("value refused by the database")
        real(model, rows, **kwargs)

    monkeypatch.setattr(ingest, "insert_rows", insert_rows)


def _refused(make_study: StudyFactory, nct_id: str, **overrides: Any) -> dict[str, Any]:
    return make_study(
        nct_id,
        **{"contactsLocationsModule.locations": [{"facility": REFUSED}], **overrides},
    )


def test_a_record_the_database_refuses_fails_alone(make_study: StudyFactory) -> None:
    # Reads fine, but the database refuses it: the page write fails and is redone record
    # by record.
    results = trials_ingest_batch(
        raws=[
            make_study("NCT90000001"),
            _refused(make_study, "NCT90000002"),
            make_study("NCT90000003"),
        ]
    )
    assert [type(r) for r in results] == [IngestResult, IngestFailure, IngestResult]
    assert results[1].source == "NCT90000002"
    assert set(Trial.objects.values_list("registry_id", flat=True)) == {
        "NCT90000001",
        "NCT90000003",
    }
    # The ones that landed are whole: children, criteria, facets and profile.
    for trial in Trial.objects.all():
        assert trial.locations.count() == 2
        assert trial.criteria.exists()
        assert trial.facets.count() == 5
        assert ScreeningProfile.objects.filter(trial=trial).exists()


def test_refused_update_leaves_the_stored_trial_as_it_was(make_study: StudyFactory) -> None:
    trials_ingest_batch(raws=[make_study("NCT90000001"), make_study("NCT90000002")])
    before = {
        "locations": Location.objects.count(),
        "criteria": Criterion.objects.count(),
        "facets": Facet.objects.count(),
        "conditions": Condition.objects.count(),
    }
    bad = _refused(make_study, "NCT90000001", **{"statusModule.overallStatus": "COMPLETED"})
    good = make_study("NCT90000002", **{"statusModule.overallStatus": "TERMINATED"})
    results = trials_ingest_batch(raws=[bad, good])
    assert isinstance(results[0], IngestFailure)
    assert isinstance(results[1], IngestResult) and results[1].outcome == "updated"
    assert Trial.objects.get(registry_id="NCT90000001").overall_status == "RECRUITING"
    assert Trial.objects.get(registry_id="NCT90000002").overall_status == "TERMINATED"
    assert Trial.objects.get(registry_id="NCT90000001").versions.count() == 1
    after = {
        "locations": Location.objects.count(),
        "criteria": Criterion.objects.count(),
        "facets": Facet.objects.count(),
        "conditions": Condition.objects.count(),
    }
    assert after == before


def test_queries_per_page_do_not_grow_with_the_page(make_study: StudyFactory) -> None:
    def queries(n: int, start: int) -> int:
        studies = [make_study(f"NCT9{start + i:07d}") for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            trials_ingest_batch(raws=studies)
        return len(ctx.captured_queries)

    assert queries(20, 100) == queries(2, 200)


def test_a_row_postgresql_refuses_inside_a_copy_fails_its_record_alone(
    make_study: StudyFactory,
) -> None:
    # On PostgreSQL child rows go in with COPY; a value the column refuses (too long for
    # varchar(500)) must fail that record only, like any other database error.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce varchar lengths")
    too_long = make_study(
        "NCT90000002", **{"contactsLocationsModule.locations": [{"facility": "x" * 600}]}
    )
    results = trials_ingest_batch(
        raws=[make_study("NCT90000001"), too_long, make_study("NCT90000003")]
    )
    assert [type(r) for r in results] == [IngestResult, IngestFailure, IngestResult]
    assert "too long" in results[1].reason
    assert Location.objects.filter(trial__registry_id="NCT90000003").count() == 2
    assert ScreeningProfile.objects.count() == 2


def test_the_raw_record_is_stored_as_it_came(make_study: StudyFactory) -> None:
    # Raw JSON goes to the database as orjson's UTF-8 text on PostgreSQL (COPY) and as
    # ASCII text elsewhere; what comes back must be the record itself.
    tricky = 'back\\slash \\n "quoted"\ttab\nnewline é ≥ 😀 \u2028 \\u0041 1e16'
    raw = make_study(
        "NCT90000001",
        **{
            "descriptionModule.briefSummary": tricky,
            "designModule.odd": [1e16, 1.5e-07, -0.0, 2**40, True, {"k": []}],
            "contactsLocationsModule.locations": [
                {"facility": "Hôpital", "contacts": [{"name": "Zoë \\ Ω", "role": "CONTACT"}]}
            ],
        },
    )
    trials_ingest_batch(raws=[raw])
    trial = Trial.objects.get()
    assert trial.versions.get().raw == raw
    assert trial.locations.get().contacts == [{"name": "Zoë \\ Ω", "role": "CONTACT"}]
