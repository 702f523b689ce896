"""POST /api/v1/screen/: answers in, verdicts out, contract section 5 shape exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from tests.conftest import TrialFactory
from trials.screening.verdicts import DISCLAIMER

pytestmark = pytest.mark.django_db

URL = "/api/v1/screen/"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def screen(api: APIClient, body: Any) -> Any:
    return api.post(URL, json.dumps(body), content_type="application/json")


@pytest.fixture
def trials(trial_factory: TrialFactory) -> None:
    trial_factory("NCT10000001", stages=["III", "IV"], prior={"excluded": ["interleukin"]})
    trial_factory("NCT10000002", stages=["I", "II"])
    trial_factory("NCT10000003", min_age="")


def test_screen_answers_in_the_contract_shape(api: APIClient, trials: None) -> None:
    response = screen(api, {"stage": "IV", "prior_treatments": [], "age": 50, "ordering": "nct_id"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "count", "page", "pages", "disclaimer"}
    assert (body["count"], body["page"], body["pages"]) == (2, 1, 1)
    assert body["disclaimer"] == DISCLAIMER
    first = body["results"][0]
    assert set(first) == {"nct_id", "title", "status", "verdict", "reasons"}
    assert (first["nct_id"], first["verdict"], first["status"]) == (
        "NCT10000001",
        "compatible",
        "RECRUITING",
    )
    assert {
        "facet": "stages",
        "outcome": "meets",
        "criterion": "Stage III or IV melanoma",
        "section": "inclusion",
    } in first["reasons"]
    assert all(set(r) == {"facet", "outcome", "criterion", "section"} for r in first["reasons"])
    assert "no-store" in response["Cache-Control"]


def test_conflicts_only_with_include_conflicts(api: APIClient, trials: None) -> None:
    left_out = screen(api, {"stage": "IV"}).json()
    assert "NCT10000002" not in {r["nct_id"] for r in left_out["results"]}
    included = screen(api, {"stage": "IV", "include_conflicts": True}).json()
    verdicts = {r["nct_id"]: r["verdict"] for r in included["results"]}
    assert verdicts["NCT10000002"] == "conflict"
    failing = next(r for r in included["results"] if r["nct_id"] == "NCT10000002")
    assert failing["reasons"][0]["outcome"] == "fails"


def test_no_answers_gives_unclear_for_limited_trials(api: APIClient, trials: None) -> None:
    verdicts = {r["nct_id"]: r["verdict"] for r in screen(api, {}).json()["results"]}
    assert verdicts == {
        "NCT10000001": "unclear",
        "NCT10000002": "unclear",
        "NCT10000003": "compatible",
    }


def test_page_and_page_size(api: APIClient, trials: None) -> None:
    body = screen(api, {"page": 2, "page_size": 2, "ordering": "nct_id"}).json()
    assert (body["count"], body["page"], body["pages"]) == (3, 2, 2)
    assert [r["nct_id"] for r in body["results"]] == ["NCT10000003"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": "V"}, "stage"),
        ({"stage": ["IV"]}, "stage"),
        ({"prior_lines": -1}, "prior_lines"),
        ({"prior_lines": "many"}, "prior_lines"),
        ({"cytokine": ["IL99"]}, "cytokine"),
        ({"page_size": 501}, "page_size"),
        ({"age": "old"}, "age"),
        ({"age": 40.5}, "age"),
        ({"resectable": "perhaps"}, "resectable"),
        ({"prior_treatments": "chemo"}, "prior_treatments"),
        ({"prior_treatments": [1, 2]}, "prior_treatments"),
        ({"status": ["OPEN"]}, "status"),
        ({"status": 3}, "status"),
        ({"near": {"lat": "x", "lon": 3}}, "near"),
        ({"include_conflicts": "sometimes"}, "include_conflicts"),
        ({"stages": ["IV"]}, "stages"),
        ([1, 2], "non_field_errors"),
    ],
)
def test_bad_input_is_400_with_a_message_per_field(api: APIClient, body: Any, field: str) -> None:
    response = screen(api, body)
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert all(isinstance(m, str) and m for m in errors[field])
    assert "no-store" in response["Cache-Control"]


def test_malformed_json_is_400_not_500(api: APIClient) -> None:
    response = api.post(URL, "{stage: IV", content_type="application/json")
    assert response.status_code == 400


def test_form_encoded_body_is_refused(api: APIClient) -> None:
    assert api.post(URL, {"stage": "IV"}).status_code == 415


def test_get_is_not_allowed(api: APIClient) -> None:
    assert api.get(URL).status_code == 405


def test_anonymous_clients_are_throttled_when_a_rate_is_set(api: APIClient, trials: None) -> None:
    cache.clear()
    throttled = {
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"},
    }
    from django.conf import settings

    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, **throttled}):
        codes = [screen(api, {}).status_code for _ in range(3)]
        codes.append(api.get("/api/v1/vocabulary/").status_code)
    assert codes == [200, 200, 200, 429]
    cache.clear()
    assert screen(api, {}).status_code == 200  # settings restored: no throttle


def test_the_documented_request_fields_are_the_fields_the_validator_reads() -> None:
    from trials.api.serializers import ScreenRequestSerializer
    from trials.screening.answers import FIELDS

    assert tuple(ScreenRequestSerializer().fields) == FIELDS
