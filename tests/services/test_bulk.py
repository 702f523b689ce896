"""The fast JSON helpers of bulk inserts: the same values as the standard library's."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from trials.services.bulk import json_stored, json_text

VALUES: list[Any] = [
    None,
    [],
    ("IIIB", "IV"),
    {"required": ["anti_pd1"], "min_prior_lines": 1, "note": None},
    {1: "non-string key"},
    [1e16, 1e-05, 2.5, -0.0, 5e-324],
    [2**70, "a big integer"],
    "é \u2028 \ud800 lone surrogate",
    [{"criterion": "Stage IV", "section": "inclusion"}],
]


@pytest.mark.parametrize("value", VALUES)
def test_json_text_reads_back_as_json_dumps_does(value: Any) -> None:
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", VALUES)
def test_json_stored_is_the_value_a_json_column_hands_back(value: Any) -> None:
    stored = json_stored(value)
    assert json.dumps(stored) == json.dumps(json.loads(json.dumps(value)))


def test_nan_is_written_as_json_dumps_writes_it() -> None:
    # orjson would write null; the database must see (and refuse) what it always saw.
    assert json_text([math.nan]) == "[NaN]"
    assert math.isnan(json_stored([math.nan])[0])
