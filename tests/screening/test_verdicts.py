"""Verdicts, facet by facet, exactly as contract section 4 says (pure, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from trials.screening.answers import Answers
from trials.screening.verdicts import screening_facts, trial_verdict


@dataclass
class FakeFacet:
    kind: str
    value: Any
    evidence: list[dict[str, str]] = field(default_factory=list)
    review: str = ""


@dataclass
class Limits:
    minimum_age_days: int | None = None
    maximum_age_days: int | None = None
    minimum_age_text: str = ""
    maximum_age_text: str = ""
    sex: str = "ALL"


NO_PRIOR = {"required": [], "excluded": [], "min_prior_lines": None, "max_prior_lines": None}


def facets(
    stages: list[str] | None = None,
    resectability: str | None = None,
    prior: dict[str, Any] | None = None,
    review: dict[str, str] | None = None,
) -> list[FakeFacet]:
    review = review or {}
    return [
        FakeFacet(
            "stages",
            stages or [],
            [{"criterion": "Stage quote", "section": "inclusion"}],
            review.get("stages", ""),
        ),
        FakeFacet(
            "resectability",
            resectability,
            [{"criterion": "Resectability quote", "section": "inclusion"}],
            review.get("resectability", ""),
        ),
        FakeFacet(
            "prior_treatment",
            {**NO_PRIOR, **(prior or {})},
            [{"criterion": "Prior quote", "section": "exclusion"}],
            review.get("prior_treatment", ""),
        ),
    ]


def outcome_of(
    kind: str, answers: Answers, trial_facets: list[FakeFacet], limits: Limits | None = None
) -> str:
    """The facet's outcome, or "meets" when it has no limit (left out of the verdict)."""
    verdict = trial_verdict(answers=answers, facets=trial_facets, limits=limits or Limits())
    found = [f.outcome for f in verdict.facets if f.facet == kind]
    return found[0] if found else "meets"


@pytest.mark.parametrize(
    ("listing", "review", "stage", "expected"),
    [
        (["III", "IV"], "", "IV", "meets"),
        (["III", "IV"], "", "II", "fails"),
        (["III", "IV"], "", None, "unknown"),  # no answer to a limit: unknown
        ([], "", "II", "meets"),  # no limit
        ([], "", None, "meets"),
        (["I", "II", "III", "IV"], "", "I", "meets"),  # all four stages is no limit
        (["IV"], "needs_review", "II", "unknown"),  # flagged: never a conflict
        (["IV"], "wrong", "II", "unknown"),
        (["IV"], "confirmed", "II", "fails"),
        (["IIIB"], "", "II", "unknown"),  # unreadable value: unknown, not a guess
    ],
)
def test_stage_outcome(listing: list[str], review: str, stage: str | None, expected: str) -> None:
    got = outcome_of(
        "stages", Answers(stage=stage), facets(stages=listing, review={"stages": review})
    )
    assert got == expected


@pytest.mark.parametrize(
    ("listing", "resectable", "expected"),
    [
        ("unresectable", False, "meets"),
        ("unresectable", True, "fails"),
        ("resectable", True, "meets"),
        ("resectable", False, "fails"),
        ("resectable", None, "unknown"),
        (None, True, "meets"),
        ("borderline", True, "unknown"),
    ],
)
def test_resectability_outcome(listing: str | None, resectable: bool | None, expected: str) -> None:
    got = outcome_of("resectability", Answers(resectable=resectable), facets(resectability=listing))
    assert got == expected


@pytest.mark.parametrize(
    ("prior", "answered", "expected"),
    [
        # Nesting: having a kind counts as having its parent.
        ({"excluded": ["chemotherapy"]}, ("platinum_chemotherapy",), "fails"),
        ({"excluded": ["systemic_therapy"]}, ("interleukin",), "fails"),
        ({"required": ["chemotherapy"]}, ("platinum_chemotherapy",), "meets"),
        # An answer more general than the facet is unknown.
        ({"excluded": ["platinum_chemotherapy"]}, ("chemotherapy",), "unknown"),
        ({"required": ["platinum_chemotherapy"]}, ("chemotherapy",), "unknown"),
        ({"required": ["checkpoint_inhibitor"]}, ("systemic_therapy",), "unknown"),
        ({"excluded": ["interleukin"]}, ("systemic_therapy",), "unknown"),
        # Plain cases.
        ({"excluded": ["interleukin"]}, ("interleukin",), "fails"),
        ({"excluded": ["interleukin"]}, ("checkpoint_inhibitor",), "meets"),
        ({"required": ["checkpoint_inhibitor"]}, ("checkpoint_inhibitor",), "meets"),
        ({"required": ["checkpoint_inhibitor"]}, ("platinum_chemotherapy",), "fails"),
        ({"required": ["radiotherapy"]}, ("systemic_therapy",), "fails"),
        # Not answered: unknown. Explicitly none: required fails, excluded meets.
        ({"excluded": ["interleukin"]}, None, "unknown"),
        ({"required": ["checkpoint_inhibitor"]}, None, "unknown"),
        ({"required": ["checkpoint_inhibitor"]}, (), "fails"),
        ({"excluded": ["interleukin"]}, (), "meets"),
        # Required and excluded together: any failure fails.
        (
            {"required": ["checkpoint_inhibitor"], "excluded": ["interleukin"]},
            ("checkpoint_inhibitor", "interleukin"),
            "fails",
        ),
        (
            {"required": ["checkpoint_inhibitor"], "excluded": ["platinum_chemotherapy"]},
            ("checkpoint_inhibitor", "chemotherapy"),
            "unknown",
        ),
        # No limit at all.
        ({}, (), "meets"),
        # Unknown class in the facet: unreadable, unknown.
        ({"excluded": ["hormone_therapy"]}, ("interleukin",), "unknown"),
    ],
)
def test_prior_treatment_classes(
    prior: dict[str, Any], answered: tuple[str, ...] | None, expected: str
) -> None:
    got = outcome_of("prior_treatment", Answers(prior_treatments=answered), facets(prior=prior))
    assert got == expected


@pytest.mark.parametrize(
    ("prior", "lines", "expected"),
    [
        ({"max_prior_lines": 2}, 2, "meets"),
        ({"max_prior_lines": 2}, 3, "fails"),
        ({"max_prior_lines": 0}, 0, "meets"),
        ({"max_prior_lines": 0}, 1, "fails"),
        ({"min_prior_lines": 1}, 0, "fails"),
        ({"min_prior_lines": 1}, 4, "meets"),
        ({"min_prior_lines": 1, "max_prior_lines": 3}, 2, "meets"),
        ({"max_prior_lines": 2}, None, "unknown"),
        ({"min_prior_lines": 3, "max_prior_lines": 1}, 2, "unknown"),  # contradictory facet
        ({"max_prior_lines": -1}, 2, "unknown"),
    ],
)
def test_prior_lines(prior: dict[str, Any], lines: int | None, expected: str) -> None:
    got = outcome_of("prior_treatment", Answers(prior_lines=lines), facets(prior=prior))
    assert got == expected


def test_prior_treatment_facet_flagged_for_review_is_unknown_even_when_it_would_fail() -> None:
    trial_facets = facets(
        prior={"excluded": ["interleukin"], "max_prior_lines": 0},
        review={"prior_treatment": "needs_review"},
    )
    answers = Answers(prior_treatments=("interleukin",), prior_lines=3)
    assert outcome_of("prior_treatment", answers, trial_facets) == "unknown"


@pytest.mark.parametrize(
    ("minimum", "maximum", "age", "expected"),
    [
        ("18 Years", "", 17, "fails"),
        ("18 Years", "", 18, "meets"),
        ("18 Years", "", None, "unknown"),
        ("", "65 Years", 64, "meets"),
        # Someone who says 65 may be 65 years and 11 months: not a conflict, not a match.
        ("", "65 Years", 65, "unknown"),
        ("", "65 Years", 66, "fails"),
        ("18 Years", "75 Years", 76, "fails"),
        # Months are 30 stored days: 780 months is 65 years, so 65 must not fail.
        ("", "780 Months", 65, "unknown"),
        ("", "780 Months", 66, "fails"),
        ("216 Months", "", 17, "unknown"),  # 6480 days: a 17-year-old could be close
        ("216 Months", "", 18, "meets"),
        ("6 Months", "", 0, "unknown"),
        ("", "", 40, "meets"),
    ],
)
def test_age_outcome(minimum: str, maximum: str, age: int | None, expected: str) -> None:
    from trials.registry.records import parse_age_days

    limits = Limits(parse_age_days(minimum), parse_age_days(maximum), minimum, maximum)
    assert outcome_of("age", Answers(age=age), [], limits) == expected


@pytest.mark.parametrize(
    ("listed", "sex", "expected"),
    [
        ("FEMALE", "female", "meets"),
        ("FEMALE", "male", "fails"),
        ("MALE", "female", "fails"),
        ("MALE", None, "unknown"),
        ("ALL", "male", "meets"),
        ("", "female", "meets"),
    ],
)
def test_sex_outcome(listed: str, sex: str | None, expected: str) -> None:
    assert outcome_of("sex", Answers(sex=sex), [], Limits(sex=listed)) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (Answers(stage="IV", prior_treatments=(), age=50), "compatible"),
        (Answers(stage="IV", prior_treatments=("interleukin",), age=50), "conflict"),
        (Answers(stage="IV", age=50), "unclear"),  # prior treatment not answered
        (Answers(), "unclear"),  # a stage IV listing is unclear for someone with no stage
        (Answers(stage="II", prior_treatments=("chemotherapy",), age=50), "conflict"),
    ],
)
def test_trial_verdict(answers: Answers, expected: str) -> None:
    from trials.registry.records import parse_age_days

    trial_facets = facets(stages=["IV"], prior={"excluded": ["interleukin"]})
    limits = Limits(parse_age_days("18 Years"), None, "18 Years", "")
    assert trial_verdict(answers=answers, facets=trial_facets, limits=limits).verdict == expected


def test_listing_without_limits_is_compatible_even_with_no_answers() -> None:
    verdict = trial_verdict(answers=Answers(), facets=facets(), limits=Limits())
    assert verdict.verdict == "compatible"
    assert verdict.reasons == []


def test_missing_facet_rows_are_unknown_not_no_limit() -> None:
    verdict = trial_verdict(answers=Answers(stage="II"), facets=[], limits=Limits())
    assert verdict.verdict == "unclear"
    assert {f.facet for f in verdict.facets} == {"stages", "resectability", "prior_treatment"}


def test_reasons_quote_the_evidence_with_section_failing_first() -> None:
    trial_facets = facets(stages=["IV"], prior={"excluded": ["interleukin"]})
    trial_facets[0].evidence = [
        {"criterion": "Stage IV melanoma", "section": "inclusion"},
        {"criterion": "Stage IV Cutaneous Melanoma AJCC v8", "section": "condition"},
    ]
    trial_facets[2].evidence = [{"criterion": "No prior IL-2", "section": "exclusion"}]
    verdict = trial_verdict(
        answers=Answers(stage="IV", prior_treatments=("interleukin",)),
        facets=trial_facets,
        limits=Limits(),
    )
    assert [r.as_dict() for r in verdict.reasons] == [
        {
            "facet": "prior_treatment",
            "outcome": "fails",
            "criterion": "No prior IL-2",
            "section": "exclusion",
        },
        {
            "facet": "stages",
            "outcome": "meets",
            "criterion": "Stage IV melanoma",
            "section": "inclusion",
        },
        {
            "facet": "stages",
            "outcome": "meets",
            "criterion": "Stage IV Cutaneous Melanoma AJCC v8",
            "section": "condition",
        },
    ]
    assert "you said you had it" in verdict.reasons[0].note


@pytest.mark.parametrize(
    ("value", "review", "stage_review", "stages"),
    [
        (["III", "IV"], "", False, {"III", "IV"}),
        (None, "", False, set()),
        (["III"], "needs_review", True, {"III"}),
        ("IV", "", True, set()),  # not a list: unreadable
    ],
)
def test_screening_facts_normalise_stages(
    value: Any, review: str, stage_review: bool, stages: set[str]
) -> None:
    facts = screening_facts({"stages": FakeFacet("stages", value, review=review)})
    assert (facts.stage_review, set(facts.stages)) == (stage_review, stages)
