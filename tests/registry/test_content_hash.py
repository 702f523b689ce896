"""content_hash keeps its definition (sorted compact json.dumps) whichever encoder runs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.conftest import build_study
from trials.registry.records import content_hash, content_hash_matches


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


_ODD_VALUES: list[Any] = [
    1e16,
    1e16 + 2,
    16,
    1.5e-07,
    0.0000015,
    0.0001,
    0.0,
    -0.0,
    1,
    1.0,
    True,
    float("nan"),
    float("inf"),
    2**70,
    None,
    "null",
    "1e16",
    "\u2028 é",
    [None],
    [],
]


def test_content_hash_matches_is_content_hash_compared() -> None:
    # Every record against every record's hash: the fast path never answers otherwise
    # than comparing content_hash would, also where orjson spells content differently.
    studies = [build_study("NCT90000001", **{"designModule.odd": v}) for v in _ODD_VALUES]
    digests = [_reference(study) for study in studies]
    for study in studies:
        for digest in digests:
            assert content_hash_matches(study, digest) == (_reference(study) == digest)
