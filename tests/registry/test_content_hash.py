"""content_hash keeps its definition (sorted compact json.dumps) whichever encoder runs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.conftest import build_study
from trials.registry.records import content_hash


def _reference(raw: Any) -> str:
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    "value",
    [
        1e16,
        1.5e-07,
        5.9e-05,
        0.0001,
        -0.0,
        42.35,
        float("nan"),
        float("inf"),
        2**70,
        None,
        '\x00\x1f\x7f\u2028 é 😀 "\\ /',
        "Phase 2e trial, p<0.00001",
        {"b": 1, "a": [True, False, None]},
    ],
)
def test_hash_matches_the_json_definition(value: Any) -> None:
    study = build_study("NCT90000001", **{"designModule.odd": value})
    assert content_hash(study) == _reference(study)


def test_hash_ignores_key_order() -> None:
    study = build_study("NCT90000001")
    reordered = json.loads(json.dumps(study, sort_keys=True))
    assert content_hash(reordered) == content_hash(study) == _reference(study)


def test_real_records_hash_as_defined(shared_studies_dir: Any) -> None:
    for path in sorted(shared_studies_dir.glob("NCT*.json"))[:60]:
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert content_hash(raw) == _reference(raw), path.name
