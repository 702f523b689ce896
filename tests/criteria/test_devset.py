"""The hand-labelled development set meets the accuracy targets (needs ../shared/data)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("SCREENER_SHARED_DATA", REPO.parent / "shared" / "data"))
DEVSET = REPO / "tests" / "data" / "criteria_devset.json"


@pytest.fixture(scope="module")
def result() -> dict:
    if not (DATA / "ctgov" / "studies").is_dir():
        pytest.skip(f"{DATA} not found: the labelled dev set needs the real registry records")
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from eval_criteria import evaluate
    finally:
        sys.path.remove(str(REPO / "bench"))
    return evaluate(DEVSET, DATA)


@pytest.mark.shared_data
def test_dev_set_has_at_least_sixty_labelled_listings(result: dict) -> None:
    assert result["records"] >= 60


@pytest.mark.shared_data
def test_stage_f1_target(result: dict) -> None:
    assert result["facets"]["stages"]["f1"] >= 0.95


@pytest.mark.shared_data
def test_prior_treatment_f1_target(result: dict) -> None:
    assert result["prior_treatment"]["f1"] >= 0.90


@pytest.mark.shared_data
def test_no_false_exclusions(result: dict) -> None:
    assert result["false_exclusions"] == []
