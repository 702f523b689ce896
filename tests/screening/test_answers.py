"""Answers: one validator for the form and the API, a message per field."""

from __future__ import annotations

from typing import Any

import pytest

from trials.screening.answers import Answers, AnswersInvalid, Near, answers_from_data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, Answers()),
        ({"stage": "iv"}, Answers(stage="IV")),
        ({"stage": "unknown"}, Answers()),
        ({"resectable": False}, Answers(resectable=False)),
        ({"resectable": "unknown"}, Answers()),
        ({"resectable": "yes"}, Answers(resectable=True)),
        ({"prior_treatments": []}, Answers(prior_treatments=())),
        ({"prior_treatments": ["none"]}, Answers(prior_treatments=())),
        ({"prior_treatments": None}, Answers()),
        (
            {"prior_treatments": ["surgery", "chemotherapy", "surgery"]},
            Answers(prior_treatments=("chemotherapy", "surgery")),
        ),
        ({"prior_lines": "2", "age": 64}, Answers(prior_lines=2, age=64)),
        ({"sex": "Female"}, Answers(sex="female")),
        ({"status": "any"}, Answers(status=None)),
        ({"status": ["COMPLETED"]}, Answers(status=("COMPLETED",))),
        (
            {"cytokine": "interferon", "phase": ["PHASE1"]},
            Answers(cytokine=("interferon",), phase=("PHASE1",)),
        ),
        (
            {"near": {"lat": 42.3, "lon": -71.1}, "ordering": "distance"},
            Answers(near=Near(42.3, -71.1, 100.0), ordering="distance"),
        ),
        ({"page": 3, "page_size": 500}, Answers(page=3, page_size=500)),
        ({"include_conflicts": True}, Answers(include_conflicts=True)),
    ],
)
def test_valid_answers(data: dict[str, Any], expected: Answers) -> None:
    assert answers_from_data(data) == expected


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"stage": "V"}, "stage", "Unknown stage 'V'"),
        ({"stage": 4}, "stage", "Expected a stage"),
        ({"prior_lines": -1}, "prior_lines", "from 0 to 50"),
        ({"prior_lines": "two"}, "prior_lines", "whole number"),
        ({"prior_lines": 1.5}, "prior_lines", "whole number"),
        ({"age": True}, "age", "whole number"),
        ({"age": 200}, "age", "from 0 to 120"),
        ({"cytokine": ["IL99"]}, "cytokine", "Unknown cytokine family 'IL99'"),
        ({"cytokine": 2}, "cytokine", "list of codes"),
        ({"prior_treatments": ["hormone"]}, "prior_treatments", "Unknown treatment class"),
        ({"prior_treatments": ["none", "surgery"]}, "prior_treatments", "cannot be combined"),
        ({"status": ["OPEN"]}, "status", "Unknown status 'OPEN'"),
        ({"phase": ["PHASE5"]}, "phase", "Unknown phase"),
        ({"page_size": 501}, "page_size", "from 1 to 500"),
        ({"page": 0}, "page", "from 1 to"),
        ({"resectable": "maybe"}, "resectable", "Expected true, false or unknown"),
        ({"include_conflicts": "maybe"}, "include_conflicts", "Expected true, false."),
        ({"sex": "x"}, "sex", "female, male or unknown"),
        ({"near": {"lat": 100, "lon": 0}}, "near", "from -90 to 90"),
        ({"near": {"lat": 1}}, "near", "both a latitude (lat) and a longitude (lon)"),
        ({"near": "Boston"}, "near", "Expected an object"),
        ({"ordering": "fit"}, "ordering", "Unknown ordering"),
        ({"ordering": "distance"}, "ordering", "needs a place"),
        ({"stages": ["IV"]}, "stages", "Unknown field"),
        ({"condition": 5}, "condition", "Expected text"),
    ],
)
def test_invalid_answers_name_the_field(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(AnswersInvalid) as caught:
        answers_from_data(data)
    assert list(caught.value.errors) == [field]
    assert message in " ".join(caught.value.errors[field])


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(AnswersInvalid) as caught:
        answers_from_data({"stage": "V", "age": -3, "page_size": 9999})
    assert set(caught.value.errors) == {"stage", "age", "page_size"}


def test_error_message_does_not_carry_the_answers() -> None:
    with pytest.raises(AnswersInvalid) as caught:
        answers_from_data({"stage": "V", "age": 987})
    assert "987" not in str(caught.value)


@pytest.mark.parametrize(
    ("answers", "has_answers"),
    [
        (Answers(), False),
        (Answers(condition="melanoma", cytokine=("IL2",)), False),
        (Answers(prior_treatments=()), True),
        (Answers(age=50), True),
    ],
)
def test_has_answers_means_the_persons_own_answers(answers: Answers, has_answers: bool) -> None:
    assert answers.has_answers is has_answers
