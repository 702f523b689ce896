"""Shared fixtures and factories.

Registry records are built here from scratch (`make_study`), in the registry's own shape;
tests that need the real records read them from ../shared/data and skip when it is absent.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("SCREENER_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
SHARED_STUDIES = SHARED_DATA / "ctgov" / "studies"
ARTIFACTS = REPO_ROOT / "test-artifacts"

StudyFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def shared_studies_dir() -> Path:
    if not SHARED_STUDIES.is_dir():
        pytest.skip(f"{SHARED_STUDIES} not found: this test needs the real registry records")
    return SHARED_STUDIES


def load_shared_study(nct_id: str) -> dict[str, Any]:
    path = SHARED_STUDIES / f"{nct_id}.json"
    if not path.is_file():
        pytest.skip(f"{path} not found: this test needs the real registry records")
    return json.loads(path.read_text())


_BASE_STUDY: dict[str, Any] = {
    "protocolSection": {
        "identificationModule": {
            "nctId": "NCT90000001",
            "briefTitle": "Aldesleukin with Pembrolizumab in Unresectable Melanoma",
            "officialTitle": "A Phase 2 Study of Aldesleukin and Pembrolizumab",
        },
        "statusModule": {
            "overallStatus": "RECRUITING",
            "startDateStruct": {"date": "2024-03"},
            "completionDateStruct": {"date": "2027-12-31"},
            "lastUpdatePostDateStruct": {"date": "2025-05-02"},
        },
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Example Cancer Center"}},
        "descriptionModule": {"briefSummary": "IL-2 with a checkpoint inhibitor."},
        "conditionsModule": {
            "conditions": ["Melanoma", "Stage IV Cutaneous Melanoma AJCC v8"],
            "keywords": ["interleukin-2"],
        },
        "designModule": {
            "studyType": "INTERVENTIONAL",
            "phases": ["PHASE2"],
            "enrollmentInfo": {"count": 40, "type": "ESTIMATED"},
        },
        "armsInterventionsModule": {
            "interventions": [
                {
                    "type": "BIOLOGICAL",
                    "name": "Aldesleukin",
                    "otherNames": ["Proleukin", "IL-2"],
                    "description": "Given IV",
                },
                {"type": "DRUG", "name": "Pembrolizumab", "otherNames": ["Keytruda"]},
            ]
        },
        "eligibilityModule": {
            "eligibilityCriteria": (
                "Inclusion Criteria:\n\n"
                "* Unresectable stage III or stage IV melanoma\n"
                "* Age 18 years or older\n\n"
                "Exclusion Criteria:\n\n"
                "* Prior treatment with interleukin-2\n"
                "* Chemotherapy within 4 weeks before enrolment\n"
            ),
            "healthyVolunteers": False,
            "sex": "ALL",
            "minimumAge": "18 Years",
            "maximumAge": "6 Months",
        },
        "contactsLocationsModule": {
            "locations": [
                {
                    "facility": "Example Cancer Center",
                    "status": "RECRUITING",
                    "city": "Boston",
                    "state": "Massachusetts",
                    "zip": "02115",
                    "country": "United States",
                    "geoPoint": {"lat": 42.35, "lon": -71.06},
                },
                {"facility": "Hôpital Exemple", "city": "Paris", "country": "France"},
            ]
        },
    },
    "hasResults": False,
}


def build_study(nct_id: str = "NCT90000001", **overrides: Any) -> dict[str, Any]:
    """A registry-shaped study. Overrides are dotted paths into protocolSection:
    build_study(**{"statusModule.overallStatus": "COMPLETED"})."""
    study = copy.deepcopy(_BASE_STUDY)
    protocol = study["protocolSection"]
    protocol["identificationModule"]["nctId"] = nct_id
    for dotted, value in overrides.items():
        target = protocol
        *parents, leaf = dotted.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        if value is _DELETE:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return study


_DELETE = object()


@pytest.fixture
def make_study() -> StudyFactory:
    return build_study


@pytest.fixture
def delete_marker() -> object:
    """Pass as an override value to remove a key: make_study(**{"designModule.phases": DELETE})."""
    return _DELETE


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "snapshot"
    folder.mkdir()
    yield folder


# --- Trials built directly with the ORM (screening, API and web tests) ---------------

TrialFactory = Callable[..., Any]

_NO_PRIOR: dict[str, Any] = {
    "required": [],
    "excluded": [],
    "min_prior_lines": None,
    "max_prior_lines": None,
}


def create_trial(
    nct_id: str = "NCT10000001",
    *,
    title: str = "Aldesleukin for advanced melanoma",
    status: str = "RECRUITING",
    phases: tuple[str, ...] = ("PHASE2",),
    families: tuple[str, ...] = ("IL2",),
    conditions: tuple[str, ...] = ("Melanoma",),
    stages: list[str] | None = None,
    resectability: str | None = None,
    prior: dict[str, Any] | None = None,
    washout: list[dict[str, str]] | None = None,
    review: dict[str, str] | None = None,
    evidence: dict[str, list[dict[str, str]]] | None = None,
    criteria: tuple[tuple[str, str], ...] | None = None,
    min_age: str = "18 Years",
    max_age: str = "",
    sex: str = "ALL",
    locations: tuple[dict[str, Any], ...] = (
        {"facility": "Example Cancer Center", "city": "Boston", "country": "United States"},
    ),
    last_update: str = "2025-05-02",
    removed: bool = False,
    facet_kinds: tuple[str, ...] = ("stages", "resectability", "prior_treatment", "washout"),
) -> Any:
    """A Trial with children and facets written straight to the database, then its
    screening profile refreshed (as ingest and curation do). Evidence defaults to one
    made-up criterion per facet with a limit; criteria default to that evidence."""
    import datetime as dt

    from django.utils import timezone

    from trials.models import (
        Condition,
        Criterion,
        Facet,
        Intervention,
        Location,
        Trial,
        TrialVersion,
    )
    from trials.registry.records import parse_age_days
    from trials.services.profiles import trial_screening_profile_refresh

    now = timezone.now()
    trial = Trial.objects.create(
        registry_id=nct_id,
        brief_title=title,
        overall_status=status,
        phases=list(phases),
        study_type="INTERVENTIONAL",
        last_update_posted=dt.date.fromisoformat(last_update) if last_update else None,
        minimum_age_text=min_age,
        maximum_age_text=max_age,
        minimum_age_days=parse_age_days(min_age),
        maximum_age_days=parse_age_days(max_age),
        sex=sex,
        content_hash=f"hash-{nct_id}",
        first_seen=now,
        last_seen=now,
        removed_at=now if removed else None,
    )
    for i, name in enumerate(conditions):
        from trials.criteria import normalise_condition

        Condition.objects.create(trial=trial, name=name, disease=normalise_condition(name), order=i)
    names = {"IL2": "Aldesleukin", "IL15": "N-803", "IFN_ALPHA": "Interferon alfa-2b"}
    for i, family in enumerate(families):
        Intervention.objects.create(
            trial=trial,
            type="BIOLOGICAL",
            name=names.get(family, f"{family} agent") if family else "Pembrolizumab",
            cytokine_family=family,
            order=i,
        )
    for i, loc in enumerate(locations):
        Location.objects.create(trial=trial, order=i, **loc)
    TrialVersion.objects.create(
        trial=trial,
        content_hash=trial.content_hash,
        fetched_at=now,
        raw={},
        last_update_posted=trial.last_update_posted,
    )

    values: dict[str, Any] = {
        "stages": stages or [],
        "resectability": resectability,
        "prior_treatment": {**_NO_PRIOR, **(prior or {})},
        "washout": washout or [],
    }
    default_evidence = {
        "stages": f"Stage {' or '.join(stages)} melanoma" if stages else "",
        "resectability": f"{(resectability or '').capitalize()} disease" if resectability else "",
        "prior_treatment": "No prior interleukin-2" if prior else "",
        "washout": "No chemotherapy within 4 weeks" if washout else "",
    }
    evidence = evidence or {}
    review = review or {}
    for kind in facet_kinds:
        quoted = evidence.get(kind)
        if quoted is None:
            text = default_evidence[kind]
            section = "exclusion" if kind in ("prior_treatment", "washout") else "inclusion"
            quoted = [{"criterion": text, "section": section}] if text else []
        Facet.objects.create(
            trial=trial,
            kind=kind,
            value=values[kind],
            evidence=quoted,
            rule=f"test.{kind}",
            review=review.get(kind, ""),
        )
    if criteria is None:
        seen: dict[str, str] = {}
        for quotes in evidence.values() or ():
            for q in quotes:
                seen.setdefault(q["criterion"], q["section"])
        for kind in facet_kinds:
            text = default_evidence[kind]
            if text and kind not in evidence:
                seen.setdefault(
                    text, "exclusion" if kind in ("prior_treatment", "washout") else "inclusion"
                )
        criteria = tuple(
            (section, text)
            for text, section in seen.items()
            if section in ("inclusion", "exclusion")
        )
    for i, (section, text) in enumerate(criteria):
        Criterion.objects.create(trial=trial, section=section, order=i, text=text)
    trial_screening_profile_refresh(trial=trial)
    return trial


@pytest.fixture
def trial_factory(db: None) -> TrialFactory:
    """create_trial (above) with the database enabled."""
    return create_trial


@pytest.fixture(params=["read-whole", "count-and-page"])
def screen_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a screening test down both of trials_screen's paths: a narrow search read whole
    and ordered in Python, and a broad one counted and paged in SQL (forced here by a
    threshold of 0, as test tables are small)."""
    from trials import selectors

    if request.param == "count-and-page":
        monkeypatch.setattr(selectors, "SMALL_RESULT", 0)
    return str(request.param)
