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
