"""Screening profiles: facets folded into columns, kept fresh by ingest, rebuilt on demand."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import StudyFactory, TrialFactory
from trials.models import Facet, ScreeningProfile
from trials.screening.vocabulary import (
    CYTOKINE_FAMILY_BITS,
    STAGE_BITS,
    TREATMENT_CLASS_BITS,
)
from trials.services.ingest import trial_ingest
from trials.services.profiles import screening_profiles_rebuild, trial_screening_profile_refresh

pytestmark = pytest.mark.django_db


def test_profile_folds_facets_into_masks(trial_factory: TrialFactory) -> None:
    trial = trial_factory(
        stages=["III", "IV"],
        resectability="unresectable",
        prior={
            "required": ["checkpoint_inhibitor"],
            "excluded": ["interleukin", "platinum_chemotherapy"],
            "max_prior_lines": 2,
        },
        families=("IL2", "IFN_ALPHA", ""),
    )
    profile = ScreeningProfile.objects.get(trial=trial)
    assert profile.stage_mask == STAGE_BITS["III"] | STAGE_BITS["IV"]
    assert profile.resectability == "unresectable"
    assert profile.prior_required_mask == TREATMENT_CLASS_BITS["checkpoint_inhibitor"]
    assert profile.prior_excluded_mask == (
        TREATMENT_CLASS_BITS["interleukin"] | TREATMENT_CLASS_BITS["platinum_chemotherapy"]
    )
    assert (profile.min_prior_lines, profile.max_prior_lines) == (None, 2)
    assert profile.cytokine_mask == CYTOKINE_FAMILY_BITS["IL2"] | CYTOKINE_FAMILY_BITS["IFN_ALPHA"]
    assert not (profile.stage_review or profile.resectability_review or profile.prior_review)


@pytest.mark.parametrize("review", ["needs_review", "wrong"])
def test_flagged_facet_sets_its_review_flag(trial_factory: TrialFactory, review: str) -> None:
    trial = trial_factory(stages=["IV"], review={"stages": review})
    profile = ScreeningProfile.objects.get(trial=trial)
    assert profile.stage_review is True
    assert profile.prior_review is False


def test_trial_without_facet_rows_is_all_review(trial_factory: TrialFactory) -> None:
    trial = trial_factory(facet_kinds=())
    profile = ScreeningProfile.objects.get(trial=trial)
    assert (profile.stage_review, profile.resectability_review, profile.prior_review) == (
        True,
        True,
        True,
    )


def test_ingest_writes_the_profile_from_extracted_facets(make_study: StudyFactory) -> None:
    result = trial_ingest(raw=make_study("NCT90000001"))
    profile = ScreeningProfile.objects.get(trial_id=result.trial_id)
    # "Unresectable stage III or stage IV" + condition "Stage IV ... AJCC v8"; "Prior IL-2".
    assert profile.stage_mask & STAGE_BITS["IV"]
    assert profile.prior_excluded_mask == TREATMENT_CLASS_BITS["interleukin"]
    assert profile.cytokine_mask == CYTOKINE_FAMILY_BITS["IL2"]


def test_refresh_follows_a_facet_change(trial_factory: TrialFactory) -> None:
    trial = trial_factory(stages=["IV"])
    Facet.objects.filter(trial=trial, kind="stages").update(value=["II"])
    trial_screening_profile_refresh(trial=trial)
    assert ScreeningProfile.objects.get(trial=trial).stage_mask == STAGE_BITS["II"]


def test_rebuild_restores_stale_or_missing_profiles(trial_factory: TrialFactory) -> None:
    trials = [trial_factory(f"NCT1000000{i}", stages=["IV"]) for i in range(3)]
    ScreeningProfile.objects.filter(trial=trials[0]).update(stage_mask=0)
    ScreeningProfile.objects.filter(trial=trials[1]).delete()
    assert screening_profiles_rebuild(batch_size=2) == 3
    assert set(ScreeningProfile.objects.values_list("stage_mask", flat=True)) == {STAGE_BITS["IV"]}


def test_rebuild_limited_to_some_trials_leaves_others(trial_factory: TrialFactory) -> None:
    one, two = trial_factory("NCT10000001", stages=["IV"]), trial_factory("NCT10000002")
    ScreeningProfile.objects.update(stage_mask=0)
    assert screening_profiles_rebuild(trial_ids=[one.pk]) == 1
    masks: dict[Any, int] = dict(ScreeningProfile.objects.values_list("trial_id", "stage_mask"))
    assert masks == {one.pk: STAGE_BITS["IV"], two.pk: 0}


def test_rebuild_command_reports_and_refuses_unknown_ids(
    trial_factory: TrialFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    trial_factory("NCT10000001")
    call_command("rebuild_screening_profiles")
    assert "Rebuilt 1 screening profile " in capsys.readouterr().out
    with pytest.raises(CommandError, match="NCT99999999"):
        call_command("rebuild_screening_profiles", "--id", "NCT99999999")
