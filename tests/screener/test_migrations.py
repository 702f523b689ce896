"""Data migrations carry what they promise into an existing database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from trials.services.profiles import screening_profiles_rebuild

BEFORE = [("trials", "0004_location_country_upper")]
AFTER = [("trials", "0005_screening_profile_search_columns")]


@pytest.mark.django_db(transaction=True)
def test_0005_fills_the_search_columns_of_existing_profiles() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Trial = old.get_model("trials", "Trial")
    now = timezone.now()
    trial = Trial.objects.create(
        registry_id="NCT50000001",
        brief_title="Interferon alfa in melanoma",
        overall_status="NOT_YET_RECRUITING",
        phases=["PHASE2"],
        last_update_posted=dt.date(2025, 3, 4),
        minimum_age_days=6574,
        minimum_age_text="18 Years",
        maximum_age_text="",
        sex="Female",
        content_hash="h",
        first_seen=now,
        last_seen=now,
    )
    old.get_model("trials", "Condition").objects.create(
        trial_id=trial.pk, name="Stage IV  Melanoma", disease="melanoma", order=0
    )
    for i, country in enumerate(["France", "France", "Germany", ""]):
        old.get_model("trials", "Location").objects.create(
            trial_id=trial.pk, country=country, order=i
        )
    old.get_model("trials", "ScreeningProfile").objects.create(trial_id=trial.pk, stage_mask=8)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    profile = new.get_model("trials", "ScreeningProfile").objects.get(trial_id=trial.pk)
    filled = {
        name: getattr(profile, name)
        for name in (
            "registry_id",
            "overall_status",
            "status_rank",
            "last_update_day",
            "phase_mask",
            "minimum_age_days",
            "minimum_age_in_years",
            "maximum_age_in_years",
            "sex",
            "condition_names",
            "diseases",
            "countries",
            "stage_mask",
        )
    }
    assert filled == {
        "registry_id": "NCT50000001",
        "overall_status": "NOT_YET_RECRUITING",
        "status_rank": 1,
        "last_update_day": dt.date(2025, 3, 4).toordinal(),
        "phase_mask": 1 << 2,
        "minimum_age_days": 6574,
        "minimum_age_in_years": True,
        "maximum_age_in_years": False,
        "sex": "FEMALE",
        "condition_names": "\nstage iv melanoma\n",
        "diseases": "|melanoma|",
        "countries": "|france||germany|",
        "stage_mask": 8,  # the facet columns are left as they were
    }

    # The migration writes what a rebuild by the service would write.
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from trials.models import ScreeningProfile

    migrated = ScreeningProfile.objects.values().get(trial_id=trial.pk)
    screening_profiles_rebuild(trial_ids=[trial.pk])
    rebuilt = ScreeningProfile.objects.values().get(trial_id=trial.pk)
    copied = set(filled) - {"stage_mask"}
    assert {k: migrated[k] for k in copied} == {k: rebuilt[k] for k in copied}
