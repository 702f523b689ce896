"""The curation services: vocabulary, what a curated facet records, and that curators' work
survives every sync."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import StudyFactory
from tests.curation.fixtures import make_user
from trials.curation_selectors import review_queue, trial_criteria_diffs
from trials.models import Facet, Provenance, ReviewStatus, Trial
from trials.services.curation import (
    facet_confirm,
    facet_curate,
    facet_mark_wrong,
    facet_value_clean,
    trial_facets_patch,
    trial_facets_reextract,
    trials_mark_reviewed,
)
from trials.services.facets import criteria_text_hash, trial_facets_refresh
from trials.services.ingest import trial_ingest

pytestmark = pytest.mark.django_db


def facet(trial: Trial, kind: str) -> Facet:
    return Facet.objects.get(trial=trial, kind=kind)


# --- Vocabulary ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("stages", ["IV", "III"], ["III", "IV"]),
        ("stages", [], []),
        ("resectability", "unresectable", "unresectable"),
        ("resectability", "none", None),
        ("resectability", None, None),
        (
            "prior_treatment",
            {"required": ["platinum_chemotherapy"], "excluded": ["interleukin"]},
            {
                "required": ["platinum_chemotherapy"],
                "excluded": ["interleukin"],
                "min_prior_lines": None,
                "max_prior_lines": None,
            },
        ),
        (
            "prior_treatment",
            {"min_prior_lines": 0, "max_prior_lines": 2},
            {"required": [], "excluded": [], "min_prior_lines": 0, "max_prior_lines": 2},
        ),
    ],
)
def test_values_in_the_vocabulary_are_stored_in_canonical_form(
    kind: str, value: Any, stored: Any
) -> None:
    assert facet_value_clean(kind=kind, value=value) == stored


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("stages", ["V"], "'V' not a stage"),
        ("stages", ["IIIB"], "'IIIB' not a stage"),
        ("stages", "III", "Expected a list"),
        ("resectability", "operable", "not a resectability"),
        ("prior_treatment", {"excluded": ["IL-2"]}, "excluded: 'IL-2' not in the treatment"),
        ("prior_treatment", {"required": ["immunotherapy"]}, "required: 'immunotherapy'"),
        ("prior_treatment", {"max_prior_lines": -1}, "max_prior_lines: expected a whole number"),
        ("prior_treatment", {"min_prior_lines": 1.5}, "min_prior_lines: expected a whole number"),
        ("prior_treatment", {"min_prior_lines": True}, "min_prior_lines: expected a whole number"),
        ("prior_treatment", {"min_prior_lines": 3, "max_prior_lines": 1}, "cannot be greater"),
        (
            "prior_treatment",
            {"required": ["surgery"], "excluded": ["surgery"]},
            "both required and excluded",
        ),
        ("prior_treatment", {"lines": 2}, "unknown key(s) 'lines'"),
        ("washout", [], "cannot be set by hand"),
    ],
)
def test_values_outside_the_vocabulary_are_refused_with_a_message_for_the_field(
    kind: str, value: Any, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        facet_value_clean(kind=kind, value=value)
    assert list(caught.value.message_dict) == [kind]
    assert any(message in text for text in caught.value.message_dict[kind])


# --- What curation records ----------------------------------------------------------------


def test_correction_records_who_when_why_and_the_text_it_was_judged_against(
    trial: Trial, curator: Any
) -> None:
    facet_curate(trial=trial, kind="stages", value=["III"], user=curator, note="cohort B only")
    stages = facet(trial, "stages")
    assert stages.value == ["III"]
    assert stages.extracted_value == ["III", "IV"]
    assert stages.provenance == Provenance.CURATED
    assert stages.review == ReviewStatus.CONFIRMED
    assert stages.curator == curator
    assert stages.curated_at is not None
    assert stages.note == "cohort B only"
    assert stages.criteria_hash == criteria_text_hash(trial.eligibility_criteria)
    assert stages.rule == ""  # no rule produced the corrected value


def test_history_records_who_changed_what_and_why(trial: Trial, curator: Any) -> None:
    facet_curate(trial=trial, kind="stages", value=["III"], user=curator, note="cohort B only")
    facet_mark_wrong(facet=facet(trial, "resectability"), user=curator, note="misread")
    stages_history = list(facet(trial, "stages").history.order_by("history_date"))
    assert [h.value for h in stages_history] == [["III"]]
    assert stages_history[0].history_user == curator
    assert stages_history[0].history_change_reason == "corrected: cohort B only"
    wrong = facet(trial, "resectability").history.get()
    assert (wrong.review, wrong.history_user) == (ReviewStatus.WRONG, curator)
    assert wrong.history_change_reason == "marked wrong: misread"


def test_adding_a_missed_facet_creates_it_curated_with_the_chosen_evidence(
    trial: Trial, curator: Any
) -> None:
    Facet.objects.filter(trial=trial, kind="resectability").delete()
    criterion = trial.criteria.get(text__startswith="Unresectable")
    facet_curate(
        trial=trial,
        kind="resectability",
        value="unresectable",
        user=curator,
        evidence=[criterion],
    )
    added = facet(trial, "resectability")
    assert added.value == "unresectable"
    assert added.evidence == [{"criterion": criterion.text, "section": "inclusion"}]
    assert added.history.get().history_change_reason == "added"


def test_new_evidence_replaces_what_was_quoted(trial: Trial, curator: Any) -> None:
    criterion = trial.criteria.get(text__startswith="Age")
    condition = trial.conditions.get(name="Melanoma")
    facet_curate(
        trial=trial,
        kind="stages",
        value=["IV"],
        user=curator,
        evidence=[criterion, condition],
    )
    assert facet(trial, "stages").evidence == [
        {"criterion": criterion.text, "section": "inclusion"},
        {"criterion": "Melanoma", "section": "condition"},
    ]


def test_no_evidence_given_keeps_the_quotes(trial: Trial, curator: Any) -> None:
    before = facet(trial, "stages").evidence
    facet_curate(trial=trial, kind="stages", value=["IV"], user=curator)
    assert facet(trial, "stages").evidence == before


def test_evidence_from_another_trial_is_refused(
    trial: Trial, curator: Any, make_study: StudyFactory
) -> None:
    trial_ingest(raw=make_study("NCT90000002"))
    other = Trial.objects.get(registry_id="NCT90000002").criteria.first()
    assert other is not None
    with pytest.raises(ValidationError, match="criteria or conditions of this trial"):
        facet_curate(trial=trial, kind="stages", value=["IV"], user=curator, evidence=[other])


def test_confirm_keeps_the_value_and_makes_it_curated(trial: Trial, curator: Any) -> None:
    facet_confirm(facet=facet(trial, "prior_treatment"), user=curator, note="checked")
    confirmed = facet(trial, "prior_treatment")
    assert confirmed.value["excluded"] == ["interleukin"]
    assert (confirmed.provenance, confirmed.review) == (Provenance.CURATED, ReviewStatus.CONFIRMED)
    assert confirmed.history.get().history_change_reason == "confirmed: checked"


def test_mark_reviewed_confirms_only_the_facets_waiting_for_review(
    trial: Trial, curator: Any
) -> None:
    Facet.objects.filter(trial=trial, kind__in=["stages", "washout"]).update(
        review=ReviewStatus.NEEDS_REVIEW
    )
    assert trials_mark_reviewed(trials=[trial], user=curator) == 2
    reviews = dict(trial.facets.values_list("kind", "review"))
    assert reviews["stages"] == reviews["washout"] == ReviewStatus.CONFIRMED
    assert reviews["resectability"] == ReviewStatus.NONE
    assert not review_queue().filter(pk=trial.pk).exists()


def test_patch_merges_a_partial_prior_treatment_into_the_current_value(
    trial: Trial, curator: Any
) -> None:
    trial_facets_patch(
        trial=trial,
        values={"prior_treatment": {"required": ["checkpoint_inhibitor"]}},
        user=curator,
    )
    assert facet(trial, "prior_treatment").value == {
        "required": ["checkpoint_inhibitor"],
        "excluded": ["interleukin"],
        "min_prior_lines": None,
        "max_prior_lines": None,
    }


def test_patch_is_all_or_nothing(trial: Trial, curator: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        trial_facets_patch(
            trial=trial,
            values={"stages": ["III"], "resectability": "maybe"},
            user=curator,
        )
    assert set(caught.value.message_dict) == {"resectability"}
    assert facet(trial, "stages").value == ["III", "IV"]
    assert facet(trial, "stages").provenance == Provenance.EXTRACTED


def test_curation_refreshes_the_screening_profile(trial: Trial, curator: Any) -> None:
    from trials.models import ScreeningProfile

    before = ScreeningProfile.objects.get(trial=trial)
    facet_curate(trial=trial, kind="stages", value=["III"], user=curator)
    after = ScreeningProfile.objects.get(trial=trial)
    assert after.stage_mask != before.stage_mask
    facet_mark_wrong(facet=facet(trial, "stages"), user=curator)
    assert ScreeningProfile.objects.get(trial=trial).stage_review is True


# --- Curated facets survive every sync ----------------------------------------------------


def test_curated_facet_survives_reingest_of_the_same_version(
    trial: Trial, curator: Any, make_study: StudyFactory
) -> None:
    facet_curate(trial=trial, kind="stages", value=["III"], user=curator)
    result = trial_ingest(raw=make_study("NCT90000001"))
    assert result.outcome == "unchanged"
    trial_facets_refresh(trial=trial)  # and re-extraction of the same text
    stages = facet(trial, "stages")
    assert (stages.value, stages.provenance, stages.review) == (
        ["III"],
        Provenance.CURATED,
        ReviewStatus.CONFIRMED,
    )
    assert not review_queue().filter(pk=trial.pk).exists()


def test_curated_facet_survives_a_changed_version_and_goes_back_for_review(
    trial: Trial, curator: Any, changed_study: dict[str, Any]
) -> None:
    facet_curate(trial=trial, kind="stages", value=["IV"], user=curator, note="only IV")
    facet_mark_wrong(facet=facet(trial, "resectability"), user=curator)
    assert trial_ingest(raw=changed_study).outcome == "updated"

    stages = facet(trial, "stages")
    assert stages.value == ["IV"]
    assert stages.provenance == Provenance.CURATED
    assert stages.curator == curator
    assert stages.note == "only IV"
    assert stages.review == ReviewStatus.NEEDS_REVIEW
    assert stages.extracted_value == ["III", "IV"]  # the new text's reading, beside it
    assert facet(trial, "resectability").provenance == Provenance.CURATED
    # Extraction's own facets follow the new text.
    assert "checkpoint_inhibitor" in facet(trial, "prior_treatment").value["excluded"]

    queued = review_queue().get(pk=trial.pk)
    assert queued.text_changed == 2  # type: ignore[attr-defined]


def test_changed_version_gives_a_diff_of_the_text_the_curator_judged(
    trial: Trial, curator: Any, changed_study: dict[str, Any]
) -> None:
    judged_text = trial.eligibility_criteria
    facet_curate(trial=trial, kind="stages", value=["IV"], user=curator)
    trial_ingest(raw=changed_study)
    trial.refresh_from_db()

    [diff] = trial_criteria_diffs(trial=trial)
    assert diff.kinds == ("stages",)
    assert diff.old_version is not None
    assert criteria_text_hash(
        diff.old_version.raw["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    ) == criteria_text_hash(judged_text)
    removed = [line.text for line in diff.lines if line.kind == "remove"]
    added = [line.text for line in diff.lines if line.kind == "add"]
    assert "* Unresectable stage III or stage IV melanoma" in removed
    assert "* Unresectable stage III melanoma" in added
    assert "* Prior treatment with <b>anti-PD-1</b> & anti-CTLA-4 is not allowed" in added

    # Confirming against today's text clears the diff and the queue.
    facet_confirm(facet=facet(trial, "stages"), user=curator)
    assert trial_criteria_diffs(trial=trial) == []
    assert not review_queue().filter(pk=trial.pk).exists()


def test_reextract_refreshes_extracted_facets_and_keeps_curated_ones(
    trial: Trial, curator: Any
) -> None:
    facet_curate(trial=trial, kind="stages", value=["III"], user=curator)
    Facet.objects.filter(trial=trial, kind="prior_treatment").update(value={"stale": True})
    assert trial_facets_reextract(trial_ids=[trial.pk]) == 1
    assert facet(trial, "prior_treatment").value["excluded"] == ["interleukin"]
    assert facet(trial, "stages").value == ["III"]
    assert facet(trial, "stages").review == ReviewStatus.CONFIRMED


def test_users_in_any_role_can_be_recorded_as_curators(trial: Trial) -> None:
    # The services do not check permissions (the admin and API do); they record the user.
    superuser = make_user("superuser")
    facet_curate(trial=trial, kind="resectability", value="resectable", user=superuser)
    assert facet(trial, "resectability").history.get().history_user == superuser
