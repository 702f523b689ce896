"""Ingest of real registry records from ../shared (skipped when it is absent)."""

import datetime as dt
import json
from pathlib import Path

import pytest

from trials.models import Facet, FacetKind, Provenance, ScreeningProfile, Trial, TrialVersion
from trials.registry.records import parse_study
from trials.services.ingest import trials_ingest_batch
from trials.services.profiles import screening_profiles_rebuild

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def _first_studies(folder: Path, count: int) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("NCT*.json"))[:count]]


def test_thirty_real_records_load_with_their_fields(shared_studies_dir: Path) -> None:
    raws = _first_studies(shared_studies_dir, 30)
    results = trials_ingest_batch(raws=raws)
    assert [getattr(r, "outcome", r) for r in results] == ["created"] * 30
    assert Trial.objects.count() == 30
    # Every stored trial matches its record field by field.
    for raw in raws:
        record = parse_study(raw)
        trial = Trial.objects.get(registry_id=record.nct_id)
        assert trial.overall_status == record.overall_status
        assert trial.phases == list(record.phases)
        assert trial.minimum_age_days == record.minimum_age_days
        assert trial.locations.count() == len(record.locations)
        assert trial.interventions.count() == len(record.interventions)


def test_known_record_fields_map_as_the_registry_gives_them(shared_studies_dir: Path) -> None:
    raws = [
        json.loads((shared_studies_dir / f"{n}.json").read_text())
        for n in ("NCT00002938", "NCT04576156")
    ]
    trials_ingest_batch(raws=raws)
    prostate = Trial.objects.get(registry_id="NCT00002938")
    assert prostate.overall_status == "COMPLETED"
    assert prostate.phases == ["PHASE2"]
    assert prostate.sex == "MALE"
    assert prostate.minimum_age_days is None
    assert prostate.maximum_age_days == 75 * 365
    assert prostate.last_update_posted == dt.date(2016, 7, 6)
    assert prostate.locations.count() == 61
    first = prostate.locations.get(order=0)
    assert (first.city, first.state, first.country) == ("Anniston", "Alabama", "United States")
    assert first.latitude == pytest.approx(33.65983)
    assert list(prostate.interventions.values_list("type", "name")) == [
        ("PROCEDURE", "conventional surgery")
    ]

    myelofibrosis = Trial.objects.get(registry_id="NCT04576156")
    assert myelofibrosis.phases == ["PHASE3"]
    assert myelofibrosis.locations.count() == 215
    # Interferon is one "best available therapy" option, not an intervention of its own.
    assert not myelofibrosis.interventions.exclude(cytokine_family="").exists()


def test_importing_everything_twice_creates_and_updates_nothing_the_second_time(
    shared_studies_dir: Path,
) -> None:
    raws = _first_studies(shared_studies_dir, 40)
    trials_ingest_batch(raws=raws)
    versions = TrialVersion.objects.count()
    second = trials_ingest_batch(raws=raws)
    assert {r.outcome for r in second} == {"unchanged"}
    assert TrialVersion.objects.count() == versions == 40


def _profiles() -> dict[int, dict]:
    return {
        row["trial_id"]: row
        for row in ScreeningProfile.objects.values(
            *(f.attname for f in ScreeningProfile._meta.concrete_fields)
        )
    }


def test_profiles_made_at_ingest_match_a_rebuild_from_the_database(
    shared_studies_dir: Path,
) -> None:
    # Ingest makes profiles from what it has in hand; a rebuild reads the stored rows.
    raws = _first_studies(shared_studies_dir, 60)
    trials_ingest_batch(raws=raws)
    # A curated facet survives a re-ingest of changed records; the profile follows it.
    facet = Facet.objects.filter(kind=FacetKind.STAGES).first()
    assert facet is not None
    facet.value, facet.provenance = ["IV"], Provenance.CURATED
    facet.save()
    changed = [{**raw, "hasResults": not raw.get("hasResults")} for raw in raws[:40]]
    trials_ingest_batch(raws=changed)
    made = _profiles()
    assert len(made) == 60
    screening_profiles_rebuild()
    assert _profiles() == made
