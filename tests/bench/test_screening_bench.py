"""The screening benchmark's copied trials are what ingest would have stored."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from bench import screening
from tests.conftest import TrialFactory
from trials.models import ScreeningProfile, Trial
from trials.services.profiles import screening_profiles_rebuild

pytestmark = pytest.mark.django_db


def test_grown_copies_have_the_profiles_a_rebuild_writes(trial_factory: TrialFactory) -> None:
    trial_factory("NCT60000001", status="COMPLETED", conditions=("Melanoma",))
    trial_factory("NCT60000002", families=("IFN_ALPHA",), last_update="")
    screening.grow(7)
    assert Trial.objects.count() == 7
    grown = {p["trial_id"]: p for p in ScreeningProfile.objects.values()}
    screening_profiles_rebuild()
    rebuilt = {p["trial_id"]: p for p in ScreeningProfile.objects.values()}
    assert grown == rebuilt
    # The copies differ from their templates where grow() says they do.
    assert len({p["registry_id"] for p in grown.values()}) == 7


@pytest.mark.parametrize("profile", screening.PROFILES, ids=range(len(screening.PROFILES)))
def test_hand_written_sql_finds_what_the_screen_finds(
    trial_factory: TrialFactory, profile: dict[str, object], client: Client
) -> None:
    trial_factory("NCT60000011", stages=["IV"], conditions=("Pleural Mesothelioma",))
    trial_factory("NCT60000012", stages=["III"], prior={"excluded": ["checkpoint_inhibitor"]})
    trial_factory("NCT60000013", families=("IL15",), sex="FEMALE", min_age="55 Years")
    trial_factory("NCT60000014", families=("IFN_ALPHA",), phases=("PHASE1",), status="COMPLETED")
    screening.grow(40)
    response = client.post("/api/v1/screen/", json.dumps(profile), content_type="application/json")
    answer = response.json()
    count, ids = screening.hand_sql(profile)()
    assert answer["count"] == count
    assert [r["nct_id"] for r in answer["results"]] == screening._registry_ids(ids)
    if not profile:
        assert count == 30  # every recruiting copy: the comparison is not of two zeros
