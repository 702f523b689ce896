"""The SQL conflict filter and the Python verdicts agree, trial by trial.

A table of trials (every facet shape, review flags, age units, sex) is held against a
table of answer profiles: the trials the database leaves out must be exactly those the
Python verdicts call `conflict`, and nothing else.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from tests.conftest import TrialFactory
from trials.screening.answers import Answers
from trials.screening.verdicts import trial_verdict
from trials.screening.vocabulary import STAGES, TREATMENT_CLASSES
from trials.selectors import profile_conflict_q, trials_screen

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("screen_path")]

STAGE_CHOICES: list[list[str]] = [[], ["IV"], ["III", "IV"], ["I", "II"], ["II", "III", "IV"]]
RESECT_CHOICES: list[str | None] = [None, "resectable", "unresectable"]
CLASS_SETS: list[list[str]] = [
    [],
    ["interleukin"],
    ["chemotherapy"],
    ["platinum_chemotherapy"],
    ["checkpoint_inhibitor"],
    ["systemic_therapy"],
    ["radiotherapy"],
    ["checkpoint_inhibitor", "interleukin"],
]
LINES: list[int | None] = [None, 0, 1, 2, 3]
AGES: list[tuple[str, str]] = [
    ("18 Years", ""),
    ("", ""),
    ("18 Years", "65 Years"),
    ("216 Months", "780 Months"),
    ("12 Years", "17 Years"),
    ("6 Months", "70 Years"),
]
SEXES = ["ALL", "FEMALE", "MALE", ""]
REVIEWS = ["", "", "", "needs_review", "wrong", "confirmed"]


def _trial_specs(n: int) -> list[dict[str, Any]]:
    rnd = random.Random(20251122)
    specs = []
    for i in range(n):
        # Independent draws: some pairs contradict (min > max), which reads as unknown.
        lo, hi = rnd.choice(LINES), rnd.choice(LINES)
        min_age, max_age = rnd.choice(AGES)
        specs.append(
            {
                "nct_id": f"NCT2{i:07d}",
                "stages": rnd.choice(STAGE_CHOICES),
                "resectability": rnd.choice(RESECT_CHOICES),
                "prior": {
                    "required": rnd.choice(CLASS_SETS),
                    "excluded": rnd.choice(CLASS_SETS),
                    "min_prior_lines": lo,
                    "max_prior_lines": hi,
                },
                "review": {
                    kind: rnd.choice(REVIEWS)
                    for kind in ("stages", "resectability", "prior_treatment")
                },
                "min_age": min_age,
                "max_age": max_age,
                "sex": rnd.choice(SEXES),
            }
        )
    # A few fixed shapes the random draw may miss.
    specs.append({"nct_id": "NCT29000001", "facet_kinds": ()})  # never read: no facets
    specs.append({"nct_id": "NCT29000002", "stages": ["IV"], "min_age": "", "max_age": ""})
    return specs


def _answer_profiles(n: int) -> list[Answers]:
    rnd = random.Random(7)
    fixed = [
        Answers(),
        Answers(stage="II"),
        Answers(stage="IV", resectable=False),
        Answers(resectable=True),
        Answers(prior_treatments=()),
        Answers(prior_treatments=("platinum_chemotherapy",)),
        Answers(prior_treatments=("chemotherapy",)),
        Answers(prior_treatments=("systemic_therapy",)),
        Answers(prior_treatments=("interleukin", "checkpoint_inhibitor")),
        Answers(prior_lines=0),
        Answers(prior_lines=3),
        Answers(age=17),
        Answers(age=65),
        Answers(age=66),
        Answers(age=0),
        Answers(sex="female"),
        Answers(sex="male"),
    ]
    drawn = []
    for _ in range(n):
        drawn.append(
            Answers(
                stage=rnd.choice([None, *STAGES]),
                resectable=rnd.choice([None, True, False]),
                prior_treatments=rnd.choice(
                    [None, (), *[tuple(rnd.sample(TREATMENT_CLASSES, k)) for k in (1, 2, 3)]]
                ),
                prior_lines=rnd.choice([None, 0, 1, 2, 4]),
                age=rnd.choice([None, 10, 17, 18, 40, 64, 65, 66, 80]),
                sex=rnd.choice([None, "female", "male"]),
            )
        )
    return fixed + drawn


@pytest.fixture
def trial_table(trial_factory: TrialFactory) -> list[Any]:
    return [trial_factory(**spec) for spec in _trial_specs(70)]


def test_sql_leaves_out_exactly_the_trials_python_calls_conflict(trial_table: list[Any]) -> None:
    checked = conflicts_seen = 0
    for answers in _answer_profiles(40):
        listed = trials_screen(answers=_all_on_one_page(answers, include_conflicts=False)).results
        everything = trials_screen(answers=_all_on_one_page(answers, include_conflicts=True))
        python_conflicts = {
            s.trial.registry_id for s in everything.results if s.verdict.verdict == "conflict"
        }
        sql_kept = {s.trial.registry_id for s in listed}
        all_ids = {t.registry_id for t in trial_table}
        assert {s.trial.registry_id for s in everything.results} == all_ids
        assert sql_kept == all_ids - python_conflicts, answers
        assert everything.count == len(all_ids)
        checked += 1
        conflicts_seen += len(python_conflicts)
    # The table is only a test if it exercises both sides.
    assert checked == 57
    assert conflicts_seen > 200


def test_hidden_conflict_count_matches_the_conflicts_left_out(trial_table: list[Any]) -> None:
    answers = Answers(stage="II", prior_treatments=("interleukin",), age=70, status=None)
    listed = trials_screen(answers=_all_on_one_page(answers, include_conflicts=False))
    assert listed.hidden_conflicts is not None
    assert listed.hidden_conflicts + listed.count == len(trial_table)
    assert listed.hidden_conflicts > 0


@pytest.mark.parametrize(
    ("answers", "can_conflict"),
    [
        (Answers(), False),
        (Answers(condition="melanoma", cytokine=("IL2",)), False),  # plain filters only
        (Answers(stage="IV"), True),
        (Answers(prior_treatments=()), True),
        (Answers(age=40), True),
    ],
)
def test_conflict_filter_only_when_an_answer_can_conflict(
    answers: Answers, can_conflict: bool
) -> None:
    assert (profile_conflict_q(answers) is not None) is can_conflict


def test_every_trial_shape_in_the_table_is_screened_by_python_identically_twice(
    trial_table: list[Any],
) -> None:
    """Guard against hidden state: the same answers give the same verdicts."""
    answers = Answers(stage="III", prior_treatments=("chemotherapy",), status=None)
    first, second = (
        [
            trial_verdict(answers=answers, facets=list(t.facets.all()), limits=t).verdict
            for t in trial_table
        ]
        for _ in itertools.repeat(None, 2)
    )
    assert first == second


def _all_on_one_page(answers: Answers, *, include_conflicts: bool) -> Answers:
    from dataclasses import replace

    return replace(answers, status=None, page=1, page_size=500, include_conflicts=include_conflicts)
