"""GET /api/v1/trials/ and /api/v1/trials/{nct_id}/, GET /api/v1/vocabulary/."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.conftest import TrialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def trials(trial_factory: TrialFactory) -> None:
    trial_factory(
        "NCT10000001",
        families=("IL2", ""),
        conditions=("Melanoma",),
        stages=["III", "IV"],
        prior={"excluded": ["interleukin"]},
        last_update="2025-01-01",
    )
    trial_factory(
        "NCT10000002",
        families=("IFN_ALPHA",),
        conditions=("Renal Cell Carcinoma",),
        phases=("PHASE1",),
        last_update="2025-02-01",
        locations=({"facility": "Site", "city": "Paris", "country": "France"},),
    )
    trial_factory("NCT10000003", families=("IL15",), status="COMPLETED")
    trial_factory("NCT10000004", families=("",))  # out of scope


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["NCT10000001", "NCT10000002"]),
        ("?status=any", ["NCT10000001", "NCT10000002", "NCT10000003"]),
        ("?status=COMPLETED", ["NCT10000003"]),
        ("?cytokine=interferon", ["NCT10000002"]),
        ("?cytokine=IL2&cytokine=IFN_ALPHA", ["NCT10000001", "NCT10000002"]),
        ("?condition=kidney%20cancer", ["NCT10000002"]),
        ("?phase=PHASE1", ["NCT10000002"]),
        ("?country=France", ["NCT10000002"]),
    ],
)
def test_trial_list_filters(api: APIClient, trials: None, query: str, expected: list[str]) -> None:
    response = api.get(f"/api/v1/trials/{query}")
    assert response.status_code == 200
    assert sorted(r["nct_id"] for r in response.json()["results"]) == expected
    assert response.json()["count"] == len(expected)


def test_trial_list_rows_name_agents_and_conditions(api: APIClient, trials: None) -> None:
    row = api.get("/api/v1/trials/?ordering=nct_id").json()["results"][0]
    assert row["nct_id"] == "NCT10000001"
    assert row["agents"] == [
        {"name": "Aldesleukin", "family": "IL2", "class": "interleukin"},
        {"name": "Pembrolizumab", "family": "", "class": ""},
    ]
    assert row["conditions"] == [{"name": "Melanoma", "disease": "melanoma"}]
    assert row["url"] == "https://clinicaltrials.gov/study/NCT10000001"


def test_trial_list_orders_by_last_update(api: APIClient, trials: None) -> None:
    rows = api.get("/api/v1/trials/?ordering=last_update").json()["results"]
    assert [r["nct_id"] for r in rows] == ["NCT10000002", "NCT10000001"]


def test_trial_list_pages(api: APIClient, trial_factory: TrialFactory) -> None:
    for i in range(3):
        trial_factory(f"NCT1000000{i}")
    body = api.get("/api/v1/trials/?page_size=2&page=2").json()
    assert body["count"] == 3 and len(body["results"]) == 1 and body["previous"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?cytokine=IL99", "cytokine"),
        ("?status=OPEN", "status"),
        ("?phase=PHASE9", "phase"),
        ("?ordering=fit", "ordering"),
    ],
)
def test_trial_list_bad_filter_is_400_naming_the_field(
    api: APIClient, query: str, field: str
) -> None:
    response = api.get(f"/api/v1/trials/{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_trial_detail_has_agents_conditions_facets_and_versions(
    api: APIClient, trials: None
) -> None:
    body = api.get("/api/v1/trials/NCT10000001/").json()
    assert body["agents"] == [
        {"name": "Aldesleukin", "family": "IL2", "class": "interleukin"},
        {"name": "Pembrolizumab", "family": "", "class": ""},
    ]
    assert body["facets"]["stages"] == {
        "value": ["III", "IV"],
        "evidence": [{"criterion": "Stage III or IV melanoma", "section": "inclusion"}],
        "provenance": "extracted",
        "rule": "test.stages",
        "review": "",
    }
    assert body["facets"]["resectability"]["value"] is None
    assert body["facets"]["prior_treatment"]["value"] == {
        "required": [],
        "excluded": ["interleukin"],
        "min_prior_lines": None,
        "max_prior_lines": None,
    }
    assert set(body["facets"]) == {"stages", "resectability", "prior_treatment", "washout"}
    assert len(body["versions"]) == 1 and set(body["versions"][0]) == {
        "last_update_posted",
        "fetched_at",
        "content_hash",
    }
    assert body["locations"][0]["city"] == "Boston"


def test_trial_detail_of_unknown_trial_is_404(api: APIClient) -> None:
    assert api.get("/api/v1/trials/NCT00000000/").status_code == 404


def test_trial_detail_costs_a_fixed_number_of_queries(
    api: APIClient, trials: None, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/trials/NCT10000001/").status_code == 200


def test_vocabulary_lists_codes_with_labels(api: APIClient) -> None:
    body = api.get("/api/v1/vocabulary/").json()
    assert [s["code"] for s in body["stages"]] == ["I", "II", "III", "IV"]
    platinum = next(c for c in body["treatment_classes"] if c["code"] == "platinum_chemotherapy")
    assert platinum["parent"] == "chemotherapy" and "cisplatin" in platinum["examples"]
    il2 = next(f for f in body["cytokine_families"] if f["code"] == "IL2")
    assert il2 == {"code": "IL2", "label": "Interleukin-2", "cytokine_class": "interleukin"}
    assert {c["code"] for c in body["cytokine_classes"]} == {"interleukin", "interferon"}
    assert any(d["code"] == "melanoma" for d in body["diseases"])
