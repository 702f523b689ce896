"""Property tests: ingest never crashes on what a registry might send, however odd."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import build_study
from trials.models import Trial
from trials.services.ingest import IngestFailure, IngestResult, trials_ingest_batch

pytestmark = pytest.mark.django_db

# Paths into protocolSection that ingest reads: each may vanish or take any odd value.
PATHS = [
    ("identificationModule", "briefTitle"),
    ("identificationModule", "officialTitle"),
    ("statusModule", "overallStatus"),
    ("statusModule", "startDateStruct"),
    ("statusModule", "lastUpdatePostDateStruct"),
    ("designModule", "phases"),
    ("designModule", "enrollmentInfo"),
    ("designModule",),
    ("conditionsModule", "conditions"),
    ("conditionsModule", "keywords"),
    ("eligibilityModule", "eligibilityCriteria"),
    ("eligibilityModule", "minimumAge"),
    ("eligibilityModule", "maximumAge"),
    ("eligibilityModule", "healthyVolunteers"),
    ("eligibilityModule", "sex"),
    ("armsInterventionsModule", "interventions"),
    ("contactsLocationsModule", "locations"),
    ("sponsorCollaboratorsModule", "leadSponsor"),
]

odd_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=300)
    | st.just("x" * 200_000),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["date", "name", "type", "count", "lat", "lon", "otherNames"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=8,
)

edits = st.lists(
    st.tuples(st.sampled_from(PATHS), st.one_of(st.just("DELETE"), odd_values)), max_size=6
)


def _apply(study: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = study["protocolSection"]
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    if value == "DELETE":
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=edits)
def test_ingest_returns_a_result_or_a_reason_for_any_record(changes: list) -> None:
    study = copy.deepcopy(build_study("NCT90000077"))
    for path, value in changes:
        _apply(study, path, value)
    [result] = trials_ingest_batch(raws=[study])
    if isinstance(result, IngestFailure):
        assert result.reason  # a reason a person can read
        assert result.source == "NCT90000077"
    else:
        assert isinstance(result, IngestResult)
        assert Trial.objects.filter(registry_id="NCT90000077").exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(junk=odd_values)
def test_ingest_of_arbitrary_json_values_never_raises(junk: Any) -> None:
    [result] = trials_ingest_batch(raws=[junk])
    assert isinstance(result, IngestFailure) and result.reason
