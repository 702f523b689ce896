"""PATCH /api/v1/trials/{nct_id}/facets/: curators only, vocabulary-checked, in history."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.curation.fixtures import PASSWORD, make_user
from trials.models import Facet, Provenance, ReviewStatus, Trial

pytestmark = pytest.mark.django_db


def url(nct_id: str = "NCT90000001") -> str:
    return reverse("trial-facets-curate", kwargs={"nct_id": nct_id})


def patch(client: Client, body: dict[str, Any], nct_id: str = "NCT90000001", **extra: Any) -> Any:
    return client.patch(url(nct_id), body, content_type="application/json", **extra)


def test_the_url_is_the_contracts() -> None:
    assert url() == "/api/v1/trials/NCT90000001/facets/"


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 403), ("staff", 403), ("viewer", 403), ("curator", 200), ("superuser", 200)],
)
def test_only_curators_and_superusers_may_patch(
    trial: Trial, client_as: Callable[[str], Client], role: str, status: int
) -> None:
    response = patch(client_as(role), {"stages": ["III"]})
    assert response.status_code == status
    stages = Facet.objects.get(trial=trial, kind="stages")
    assert stages.value == (["III"] if status == 200 else ["III", "IV"])


def test_patch_curates_and_answers_the_trials_facets(
    trial: Trial, client_as: Callable[[str], Client]
) -> None:
    response = patch(
        client_as("curator"),
        {"stages": ["III"], "prior_treatment": {"excluded": ["interleukin"]}, "note": "why"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["stages"]["value"] == ["III"]
    assert body["stages"]["provenance"] == "curated"
    assert body["stages"]["review"] == "confirmed"
    assert body["stages"]["evidence"][0] == {
        "criterion": "Unresectable stage III or stage IV melanoma",
        "section": "inclusion",
    }
    assert body["prior_treatment"]["value"] == {
        "required": [],
        "excluded": ["interleukin"],
        "min_prior_lines": None,
        "max_prior_lines": None,
    }
    assert body["resectability"]["provenance"] == "extracted"  # not in the PATCH: untouched
    stages = Facet.objects.get(trial=trial, kind="stages")
    record = stages.history.get()
    assert record.history_user.username == "curator-user"
    assert record.history_change_reason == "corrected: why"
    assert stages.note == "why"


def test_partial_prior_treatment_merges_into_the_current_value(
    trial: Trial, client_as: Callable[[str], Client]
) -> None:
    response = patch(client_as("curator"), {"prior_treatment": {"max_prior_lines": 2}})
    assert response.status_code == 200
    assert response.json()["prior_treatment"]["value"] == {
        "required": [],
        "excluded": ["interleukin"],
        "min_prior_lines": None,
        "max_prior_lines": 2,
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"stages": ["V"]}, {"stages": {"0": ['"V" is not a valid choice.']}}),
        ({"stages": "III"}, {"stages": ['Expected a list of items but got type "str".']}),
        ({"resectability": "maybe"}, {"resectability": ['"maybe" is not a valid choice.']}),
        (
            {"prior_treatment": {"excluded": ["IL-2"]}},
            {"prior_treatment": {"excluded": {"0": ['"IL-2" is not a valid choice.']}}},
        ),
        (
            {"prior_treatment": {"max_prior_lines": -1}},
            {
                "prior_treatment": {
                    "max_prior_lines": ["Ensure this value is greater than or equal to 0."]
                }
            },
        ),
        (
            {"prior_treatment": {"min_prior_lines": 3, "max_prior_lines": 1}},
            {"prior_treatment": ["min_prior_lines cannot be greater than max_prior_lines."]},
        ),
        (
            {"prior_treatment": {"required": ["interleukin"]}},  # IL-2 is excluded already
            {"prior_treatment": ["interleukin cannot be both required and excluded."]},
        ),
        (
            {"stage": ["III"]},
            {"stage": ["Unknown field; use stages, resectability, prior_treatment, note."]},
        ),
        (
            {"washout": []},
            {"washout": ["Unknown field; use stages, resectability, prior_treatment, note."]},
        ),
        ({"note": "nothing else"}, {"non_field_errors": ["Give at least one facet to change."]}),
    ],
)
def test_values_outside_the_vocabulary_get_400_with_a_message_per_field(
    trial: Trial, client_as: Callable[[str], Client], body: dict[str, Any], errors: Any
) -> None:
    response = patch(client_as("curator"), body)
    assert response.status_code == 400
    assert response.json() == errors
    assert not Facet.objects.filter(trial=trial, provenance=Provenance.CURATED).exists()


def test_unknown_trial_is_404(trial: Trial, client_as: Callable[[str], Client]) -> None:
    assert patch(client_as("curator"), {"stages": []}, nct_id="NCT00000000").status_code == 404


def test_session_auth_enforces_csrf(trial: Trial) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("curator"))
    refused = patch(client, {"stages": ["III"]})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert Facet.objects.get(trial=trial, kind="stages").value == ["III", "IV"]

    client.get(reverse("admin:index"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = patch(client, {"stages": ["III"]}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200


@pytest.mark.parametrize(("password", "status"), [(PASSWORD, 200), ("wrong", 403)])
def test_basic_auth_works_for_tools_without_csrf(trial: Trial, password: str, status: int) -> None:
    make_user("curator")
    client = Client(enforce_csrf_checks=True)
    token = base64.b64encode(f"curator-user:{password}".encode()).decode()
    response = patch(client, {"resectability": None}, HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == status
    resectability = Facet.objects.get(trial=trial, kind="resectability")
    if status == 200:
        assert resectability.provenance == Provenance.CURATED
        assert resectability.review == ReviewStatus.CONFIRMED
        assert resectability.history.get().history_user.username == "curator-user"
    else:
        assert resectability.provenance == Provenance.EXTRACTED


def test_schema_of_the_curation_api_validates_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command(
        "spectacular",
        "--urlconf",
        "trials.api.curation_urls",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(out),
    )
    schema = out.read_text()
    assert "trial_facets_curate" in schema
    assert "TreatmentClass" in schema


def test_patch_answers_the_facets_as_the_trial_detail_shows_them(
    trial: Trial, client_as: Callable[[str], Client]
) -> None:
    client = client_as("curator")
    answer = patch(client, {"stages": ["III"]}).json()
    detail = client.get("/api/v1/trials/NCT90000001/")  # the contract's address
    assert detail.status_code == 200
    assert answer == detail.json()["facets"]
    assert set(answer) == {"stages", "resectability", "prior_treatment", "washout", "disease"}
    assert answer["stages"] == {
        "value": ["III"],
        "evidence": [
            {"criterion": "Unresectable stage III or stage IV melanoma", "section": "inclusion"},
            {"criterion": "Stage IV Cutaneous Melanoma AJCC v8", "section": "condition"},
        ],
        "provenance": "curated",
        "rule": "",
        "review": "confirmed",
    }
