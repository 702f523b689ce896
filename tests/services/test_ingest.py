"""The ingest service: upsert, versions, children, idempotency, failures."""

import pytest

from tests.conftest import StudyFactory
from trials.models import Condition, Intervention, Location, Trial, TrialVersion
from trials.registry.records import RecordError
from trials.services.ingest import trial_ingest, trials_ingest_batch

pytestmark = pytest.mark.django_db


def test_first_ingest_creates_trial_children_and_one_version(make_study: StudyFactory) -> None:
    result = trial_ingest(raw=make_study("NCT90000001"))
    assert result.outcome == "created"
    trial = Trial.objects.get(registry_id="NCT90000001")
    assert trial.overall_status == "RECRUITING"
    assert trial.phases == ["PHASE2"]
    assert trial.minimum_age_days == 18 * 365
    assert trial.removed_at is None
    assert list(trial.conditions.values_list("name", flat=True)) == [
        "Melanoma",
        "Stage IV Cutaneous Melanoma AJCC v8",
    ]
    assert trial.interventions.get(name="Aldesleukin").cytokine_family == "IL2"
    assert trial.interventions.get(name="Pembrolizumab").cytokine_family == ""
    assert trial.locations.count() == 2
    assert TrialVersion.objects.filter(trial=trial).count() == 1
    assert trial.criteria.filter(section="exclusion").exists()


def test_same_record_twice_is_unchanged_and_writes_no_version(make_study: StudyFactory) -> None:
    study = make_study("NCT90000001")
    trial_ingest(raw=study)
    first = Trial.objects.get()
    again = trial_ingest(raw=study)
    assert again.outcome == "unchanged"
    assert TrialVersion.objects.count() == 1
    assert Trial.objects.get().last_seen >= first.last_seen


def test_changed_record_updates_and_adds_a_version(make_study: StudyFactory) -> None:
    trial_ingest(raw=make_study("NCT90000001"))
    changed = make_study(
        "NCT90000001",
        **{
            "statusModule.overallStatus": "ACTIVE_NOT_RECRUITING",
            "armsInterventionsModule.interventions": [
                {"type": "DRUG", "name": "Interferon Alfa-2b"}
            ],
        },
    )
    result = trial_ingest(raw=changed)
    assert result.outcome == "updated"
    trial = Trial.objects.get()
    assert trial.overall_status == "ACTIVE_NOT_RECRUITING"
    assert trial.versions.count() == 2
    # Children are replaced, not appended to.
    assert list(trial.interventions.values_list("name", "cytokine_family")) == [
        ("Interferon Alfa-2b", "IFN_ALPHA")
    ]
    assert Intervention.objects.count() == 1
    assert Condition.objects.count() == 2
    assert Location.objects.count() == 2


def test_versions_keep_each_raw_record(make_study: StudyFactory) -> None:
    trial_ingest(raw=make_study("NCT90000001"))
    trial_ingest(raw=make_study("NCT90000001", **{"statusModule.overallStatus": "COMPLETED"}))
    statuses = [
        v.raw["protocolSection"]["statusModule"]["overallStatus"]
        for v in TrialVersion.objects.order_by("fetched_at", "id")
    ]
    assert statuses == ["RECRUITING", "COMPLETED"]


def test_unreadable_record_raises_and_writes_nothing() -> None:
    with pytest.raises(RecordError, match="nctId"):
        trial_ingest(raw={"protocolSection": {"identificationModule": {}}})
    assert Trial.objects.count() == 0


def test_batch_reports_bad_records_and_loads_the_rest(make_study: StudyFactory) -> None:
    bad_type = make_study("NCT90000003", **{"conditionsModule.conditions": "Melanoma"})
    results = trials_ingest_batch(
        raws=[make_study("NCT90000001"), {"nope": 1}, bad_type, make_study("NCT90000002")],
        sources=["a.json", "b.json", "c.json", "d.json"],
    )
    outcomes = [getattr(r, "outcome", None) or r.reason for r in results]
    assert outcomes[0] == "created" and outcomes[3] == "created"
    assert "protocolSection" in outcomes[1]
    assert results[1].source == "b.json"
    assert results[2].source == "NCT90000003" and "conditions" in results[2].reason
    assert set(Trial.objects.values_list("registry_id", flat=True)) == {
        "NCT90000001",
        "NCT90000002",
    }


def test_duplicate_study_in_one_batch_is_written_once(make_study: StudyFactory) -> None:
    study = make_study("NCT90000001")
    results = trials_ingest_batch(raws=[study, study])
    assert [r.outcome for r in results] == ["created", "created"]
    assert Trial.objects.count() == 1
    assert TrialVersion.objects.count() == 1


def test_failure_inside_upsert_rolls_back_that_trial_only(
    make_study: StudyFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trials.services import ingest

    def explode(**kwargs: object) -> None:
        raise RuntimeError("extraction blew up")

    trial_ingest(raw=make_study("NCT90000001"))
    monkeypatch.setattr(ingest, "trials_facets_write", explode)
    changed = make_study("NCT90000001", **{"statusModule.overallStatus": "COMPLETED"})
    results = trials_ingest_batch(raws=[changed])
    assert "extraction blew up" in results[0].reason
    trial = Trial.objects.get()
    # Nothing half-written: the old content, children and single version stand.
    assert trial.overall_status == "RECRUITING"
    assert trial.versions.count() == 1
    assert trial.interventions.count() == 2


def test_reappearing_trial_clears_removed_timestamp(make_study: StudyFactory) -> None:
    from django.utils import timezone

    study = make_study("NCT90000001")
    trial_ingest(raw=study)
    Trial.objects.update(removed_at=timezone.now())
    assert trial_ingest(raw=study).outcome == "unchanged"
    assert Trial.objects.get().removed_at is None
