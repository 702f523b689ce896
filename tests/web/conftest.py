from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TrialFactory

# Registry-like criteria written for these tests; none uses the words the screener's own
# wording avoids, so whole pages can be checked.
MELANOMA_CRITERIA = (
    ("inclusion", "Unresectable stage III or stage IV melanoma"),
    ("inclusion", "Measurable disease per RECIST 1.1"),
    ("exclusion", "Prior treatment with interleukin-2"),
    ("exclusion", "Chemotherapy within 4 weeks before enrolment"),
)


@pytest.fixture
def melanoma_trial(trial_factory: TrialFactory) -> Any:
    return trial_factory(
        "NCT10000001",
        title="Aldesleukin with pembrolizumab in advanced melanoma",
        stages=["III", "IV"],
        prior={"excluded": ["interleukin"]},
        washout=[
            {
                "class": "chemotherapy",
                "text": "Chemotherapy within 4 weeks before enrolment",
                "section": "exclusion",
            }
        ],
        evidence={
            "stages": [
                {"criterion": "Unresectable stage III or stage IV melanoma", "section": "inclusion"}
            ],
            "prior_treatment": [
                {"criterion": "Prior treatment with interleukin-2", "section": "exclusion"}
            ],
            "washout": [
                {
                    "criterion": "Chemotherapy within 4 weeks before enrolment",
                    "section": "exclusion",
                }
            ],
        },
        criteria=MELANOMA_CRITERIA,
        conditions=("Melanoma", "Stage IV Cutaneous Melanoma AJCC v8"),
        locations=(
            {
                "facility": "Example Cancer Center",
                "city": "Boston",
                "state": "Massachusetts",
                "country": "United States",
                "status": "RECRUITING",
                "latitude": 42.35,
                "longitude": -71.06,
                "contacts": [
                    {
                        "name": "Study Nurse",
                        "role": "CONTACT",
                        "phone": "555-0100",
                        "email": "trials@example.org",
                    }
                ],
            },
        ),
    )


@pytest.fixture
def kidney_trial(trial_factory: TrialFactory) -> Any:
    return trial_factory(
        "NCT10000002",
        title="Interferon alfa after nephrectomy for kidney cancer",
        families=("IFN_ALPHA",),
        conditions=("Renal Cell Carcinoma",),
        stages=["II", "III"],
        resectability="resectable",
        prior={"required": ["surgery"]},
        locations=({"facility": "Hôpital Exemple", "city": "Paris", "country": "France"},),
        last_update="2025-06-01",
    )


@pytest.fixture
def open_trial(trial_factory: TrialFactory) -> Any:
    """No limits read at all."""
    return trial_factory(
        "NCT10000003", title="N-803 in solid tumours", families=("IL15",), min_age=""
    )
