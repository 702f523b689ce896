"""Verdicts: each facet of a trial held against a person's answers (contract section 4).

Pure: it reads facet records (anything with kind/value/evidence/review, such as Facet
rows) and the trial's listed age and sex limits, never the database.

Per facet the outcome is `meets`, `fails` or `unknown`. Wrongly ruling a trial out is the
worst mistake the screener can make, so every doubt is `unknown`: a missing answer, a
missing or unreadable facet, a facet flagged for review or marked wrong, an answer more
general than the facet. A trial is `conflict` when any facet fails, `unclear` when none
fails and any is unknown, `compatible` otherwise. `trials.selectors` mirrors the `fails`
rules in SQL over ScreeningProfile columns; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

from trials.screening.answers import Answers
from trials.screening.vocabulary import (
    STAGES,
    TREATMENT_CLASS_LABELS,
    TREATMENT_CLASSES,
    ancestors,
    with_ancestors,
)

Outcome = Literal["meets", "fails", "unknown"]
Verdict = Literal["compatible", "unclear", "conflict"]
MEETS: Outcome = "meets"
FAILS: Outcome = "fails"
UNKNOWN: Outcome = "unknown"

VERDICT_WORDS: dict[str, str] = {
    "compatible": "No listed criterion conflicts with your answers",
    "unclear": "Needs a closer look",
    "conflict": "A listed criterion conflicts",
}
# The notice every page and API response that shows verdicts carries (contract section 4);
# templates/trials/_notice.html says the same.
DISCLAIMER = (
    "This is not medical advice. It compares the answers given with the criteria each trial "
    "lists. Only the trial's team decides who can take part, and the listing on "
    "ClinicalTrials.gov is the authority."
)
OUTCOME_WORDS: dict[str, str] = {
    "meets": "matches your answers",
    "fails": "conflicts with your answers",
    "unknown": "cannot tell from your answers",
}
FACET_LABELS: dict[str, str] = {
    "stages": "Stage",
    "resectability": "Surgery (resectability)",
    "prior_treatment": "Earlier treatment",
    "age": "Age",
    "sex": "Sex",
}
SCREENING_KINDS: tuple[str, ...] = ("stages", "resectability", "prior_treatment")
# Review states under which a facet is not relied on: it can only be `unknown`.
UNRELIABLE_REVIEW: frozenset[str] = frozenset({"needs_review", "wrong"})
RESECTABILITY_VALUES: tuple[str, ...] = ("resectable", "unresectable")

# Ages are stored in days (trials.registry.records: a year is 365 days, a month 30). A
# person gives whole years, so someone who says 65 may be 65 years and 11 months. Limits
# written in years compare exactly in 365-day years; limits in other units compare with
# a margin that can only turn a `fails` into an `unknown`, never the reverse.
DAYS_PER_YEAR = 365
MIN_DAYS_PER_YEAR = 360  # a limit in months (30 days) makes a year 360 stored days
MAX_DAYS_PER_YEAR = 366


class FacetRecord(Protocol):
    kind: str
    value: Any
    evidence: Any
    review: str


class FacetData(NamedTuple):
    """A FacetRecord as a plain record, for readers that hold a facet's fields without a
    Facet row (a results page reads a few hundred; ingest has them before writing)."""

    kind: str
    value: Any
    evidence: Any
    review: str


class AgeSexLimits(Protocol):
    minimum_age_days: int | None
    maximum_age_days: int | None
    minimum_age_text: str
    maximum_age_text: str
    sex: str


@dataclass(frozen=True, slots=True)
class ScreeningFacts:
    """The screening facets of a trial, normalised. Empty sets / "" / None mean no limit;
    a `*_review` flag means the facet is missing, unreadable, or flagged: unknown."""

    stages: frozenset[str] = frozenset()
    stage_review: bool = False
    resectability: str = ""
    resectability_review: bool = False
    required: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    min_prior_lines: int | None = None
    max_prior_lines: int | None = None
    prior_review: bool = False


@dataclass(frozen=True, slots=True)
class Reason:
    """One quoted criterion behind a facet's outcome (contract section 5 shape, plus a
    plain-language note for the web pages)."""

    facet: str
    outcome: Outcome
    criterion: str
    section: str
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "facet": self.facet,
            "outcome": self.outcome,
            "criterion": self.criterion,
            "section": self.section,
        }


@dataclass(frozen=True, slots=True)
class FacetOutcome:
    facet: str
    outcome: Outcome
    note: str
    evidence: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return FACET_LABELS.get(self.facet, self.facet)

    @property
    def reasons(self) -> list[Reason]:
        quotes = self.evidence or (("", ""),)
        return [Reason(self.facet, self.outcome, c, s, self.note) for c, s in quotes]


_ORDER = {FAILS: 0, UNKNOWN: 1, MEETS: 2}


@dataclass(frozen=True, slots=True)
class TrialVerdict:
    verdict: Verdict
    # Facets that have a limit or could not be read, failing first; facets with no limit
    # are left out (they meet trivially).
    facets: tuple[FacetOutcome, ...]

    @property
    def words(self) -> str:
        return VERDICT_WORDS[self.verdict]

    @property
    def reasons(self) -> list[Reason]:
        return [reason for facet in self.facets for reason in facet.reasons]


# --- Facts from facet records -------------------------------------------------------


def _is_line_limit(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def screening_facts(facets: Mapping[str, FacetRecord]) -> ScreeningFacts:
    """Normalise a trial's facet records (keyed by kind). Anything unexpected in a value
    makes that facet unknown rather than guessing."""
    stages: frozenset[str] = frozenset()
    stage_review = True
    facet = facets.get("stages")
    if facet is not None:
        value = facet.value if facet.value is not None else []
        if isinstance(value, list) and all(v in STAGES for v in value):
            stages = frozenset(value) if set(value) != set(STAGES) else frozenset()
            stage_review = facet.review in UNRELIABLE_REVIEW

    resectability = ""
    resectability_review = True
    facet = facets.get("resectability")
    if facet is not None:
        value = facet.value or ""
        if value == "" or value in RESECTABILITY_VALUES:
            resectability = value
            resectability_review = facet.review in UNRELIABLE_REVIEW

    required: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    min_lines: int | None = None
    max_lines: int | None = None
    prior_review = True
    facet = facets.get("prior_treatment")
    if facet is not None:
        value = facet.value if facet.value is not None else {}
        if isinstance(value, dict):
            req, exc = value.get("required") or [], value.get("excluded") or []
            lo, hi = value.get("min_prior_lines"), value.get("max_prior_lines")
            readable = (
                isinstance(req, list)
                and isinstance(exc, list)
                and all(c in TREATMENT_CLASSES for c in (*req, *exc))
                and _is_line_limit(lo)
                and _is_line_limit(hi)
                and not (lo is not None and hi is not None and lo > hi)
            )
            if readable:
                required, excluded = frozenset(req), frozenset(exc)
                min_lines, max_lines = lo, hi
                prior_review = facet.review in UNRELIABLE_REVIEW
    return ScreeningFacts(
        stages=stages,
        stage_review=stage_review,
        resectability=resectability,
        resectability_review=resectability_review,
        required=required,
        excluded=excluded,
        min_prior_lines=min_lines,
        max_prior_lines=max_lines,
        prior_review=prior_review,
    )


# --- Per-facet outcomes -------------------------------------------------------------


def _combine(outcomes: Iterable[Outcome]) -> Outcome:
    outcomes = list(outcomes)
    if FAILS in outcomes:
        return FAILS
    if UNKNOWN in outcomes:
        return UNKNOWN
    return MEETS


def _class_names(classes: Iterable[str]) -> str:
    return ", ".join(
        TREATMENT_CLASS_LABELS[c][0].lower() if c in TREATMENT_CLASS_LABELS else c
        for c in sorted(classes, key=lambda c: TREATMENT_CLASSES.index(c))
    )


def _not_relied_on(kind: str, present: bool) -> str:
    what = FACET_LABELS[kind].lower()
    if not present:
        return f"The tool has not read the listing's criteria for {what}; check the listing."
    return (
        f"The tool's reading of {what} is flagged for a person to check, so it is not used "
        "to rule anything out; check the listing."
    )


def stage_outcome(answers: Answers, facts: ScreeningFacts) -> tuple[Outcome, str] | None:
    """None when the listing sets no stage limit."""
    if facts.stage_review:
        return UNKNOWN, ""
    if not facts.stages:
        return None
    admitted = ", ".join(s for s in STAGES if s in facts.stages)
    if answers.stage is None:
        return UNKNOWN, f"The listing admits stage {admitted}; you did not give a stage."
    if answers.stage in facts.stages:
        return MEETS, f"The listing admits stage {admitted}; you gave stage {answers.stage}."
    return FAILS, f"The listing admits stage {admitted}; you gave stage {answers.stage}."


def resectability_outcome(answers: Answers, facts: ScreeningFacts) -> tuple[Outcome, str] | None:
    if facts.resectability_review:
        return UNKNOWN, ""
    if not facts.resectability:
        return None
    wanted = facts.resectability == "resectable"
    listing = (
        "The listing is for cancer that can be removed by surgery"
        if wanted
        else "The listing is for cancer that cannot be removed by surgery"
    )
    if answers.resectable is None:
        return UNKNOWN, f"{listing}; you did not say whether yours can."
    said = "you said yours can" if answers.resectable else "you said yours cannot"
    return (MEETS if answers.resectable == wanted else FAILS), f"{listing}; {said}."


def _had(cls: str, answered: frozenset[str]) -> Literal["yes", "maybe", "no"]:
    """Whether a person who gave `answered` has had `cls`: yes (it or a kind of it),
    maybe (they gave something more general, e.g. chemotherapy for platinum), or no."""
    if cls in with_ancestors(answered):
        return "yes"
    if any(a in ancestors(cls) for a in answered):
        return "maybe"
    return "no"


def prior_treatment_outcome(answers: Answers, facts: ScreeningFacts) -> tuple[Outcome, str] | None:
    if facts.prior_review:
        return UNKNOWN, ""
    has_classes = bool(facts.required or facts.excluded)
    has_lines = facts.min_prior_lines is not None or facts.max_prior_lines is not None
    if not (has_classes or has_lines):
        return None
    outcomes: list[Outcome] = []
    notes: list[str] = []
    if has_classes and answers.prior_treatments is None:
        outcomes.append(UNKNOWN)
        notes.append("The listing has limits on earlier treatment; you did not say what you had.")
    elif has_classes:
        answered = frozenset(answers.prior_treatments or ())
        for cls in sorted(facts.required, key=TREATMENT_CLASSES.index):
            had = _had(cls, answered)
            outcome = {"yes": MEETS, "maybe": UNKNOWN, "no": FAILS}[had]
            outcomes.append(outcome)
            notes.append(
                f"The listing asks for earlier {_class_names([cls])}; "
                + {
                    "yes": "you said you had it.",
                    "maybe": "you gave a broader kind of treatment, so it may or may not apply.",
                    "no": "you did not list it.",
                }[had]
            )
        for cls in sorted(facts.excluded, key=TREATMENT_CLASSES.index):
            had = _had(cls, answered)
            outcome = {"yes": FAILS, "maybe": UNKNOWN, "no": MEETS}[had]
            outcomes.append(outcome)
            notes.append(
                f"The listing rules out earlier {_class_names([cls])}; "
                + {
                    "yes": "you said you had it.",
                    "maybe": "you gave a broader kind of treatment, so it may or may not apply.",
                    "no": "you did not list it.",
                }[had]
            )
    if has_lines:
        limit = _lines_words(facts.min_prior_lines, facts.max_prior_lines)
        if answers.prior_lines is None:
            outcomes.append(UNKNOWN)
            notes.append(f"The listing allows {limit}; you did not give a number.")
        else:
            n = answers.prior_lines
            too_many = facts.max_prior_lines is not None and n > facts.max_prior_lines
            too_few = facts.min_prior_lines is not None and n < facts.min_prior_lines
            outcomes.append(FAILS if too_many or too_few else MEETS)
            notes.append(f"The listing allows {limit}; you gave {n}.")
    return _combine(outcomes), " ".join(notes)


def _lines_words(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo} to {hi} earlier lines of drug treatment"
    if hi is not None:
        return f"at most {hi} earlier line{'s' if hi != 1 else ''} of drug treatment"
    return f"at least {lo} earlier line{'s' if lo != 1 else ''} of drug treatment"


def in_years(text: str) -> bool:
    """An age limit written in years ("18 Years"): its days compare at 365.25 a year."""
    return text.strip().lower().endswith(("year", "years"))


def age_fails_minimum(age: int, minimum_days: int, minimum_text: str) -> bool:
    """Even the oldest a person of `age` whole years can be is under the minimum."""
    per_year = DAYS_PER_YEAR if in_years(minimum_text) else MAX_DAYS_PER_YEAR
    return (age + 1) * per_year <= minimum_days


def age_meets_minimum(age: int, minimum_days: int, minimum_text: str) -> bool:
    per_year = DAYS_PER_YEAR if in_years(minimum_text) else MIN_DAYS_PER_YEAR
    return age * per_year >= minimum_days


def age_fails_maximum(age: int, maximum_days: int, maximum_text: str) -> bool:
    """Even the youngest a person of `age` whole years can be is over the maximum."""
    per_year = DAYS_PER_YEAR if in_years(maximum_text) else MIN_DAYS_PER_YEAR
    return age * per_year > maximum_days


def age_meets_maximum(age: int, maximum_days: int, maximum_text: str) -> bool:
    per_year = DAYS_PER_YEAR if in_years(maximum_text) else MAX_DAYS_PER_YEAR
    return (age + 1) * per_year <= maximum_days


def age_outcome(answers: Answers, limits: AgeSexLimits) -> tuple[Outcome, str] | None:
    lo, hi = limits.minimum_age_days, limits.maximum_age_days
    if lo is None and hi is None:
        return None
    words = " and ".join(
        part
        for part in (
            f"minimum age {limits.minimum_age_text}" if lo is not None else "",
            f"maximum age {limits.maximum_age_text}" if hi is not None else "",
        )
        if part
    )
    if answers.age is None:
        return UNKNOWN, f"The listing gives {words}; you did not give your age."
    age = answers.age
    outcomes: list[Outcome] = []
    if lo is not None:
        if age_fails_minimum(age, lo, limits.minimum_age_text):
            outcomes.append(FAILS)
        elif age_meets_minimum(age, lo, limits.minimum_age_text):
            outcomes.append(MEETS)
        else:
            outcomes.append(UNKNOWN)
    if hi is not None:
        if age_fails_maximum(age, hi, limits.maximum_age_text):
            outcomes.append(FAILS)
        elif age_meets_maximum(age, hi, limits.maximum_age_text):
            outcomes.append(MEETS)
        else:
            outcomes.append(UNKNOWN)
    outcome = _combine(outcomes)
    tail = " (close to the limit: the listing's team can tell)" if outcome == UNKNOWN else ""
    return outcome, f"The listing gives {words}; you gave {age}{tail}."


def sex_outcome(answers: Answers, limits: AgeSexLimits) -> tuple[Outcome, str] | None:
    listed = (limits.sex or "").strip().upper()
    if listed not in {"FEMALE", "MALE"}:
        return None
    if answers.sex is None:
        return UNKNOWN, f"The listing is for {listed.lower()} participants; you did not say."
    outcome = MEETS if answers.sex.upper() == listed else FAILS
    return outcome, f"The listing is for {listed.lower()} participants; you said {answers.sex}."


def _evidence(facet: FacetRecord | None) -> tuple[tuple[str, str], ...]:
    if facet is None or not isinstance(facet.evidence, list):
        return ()
    out: list[tuple[str, str]] = []
    for item in facet.evidence:
        if isinstance(item, dict) and item.get("criterion"):
            out.append((str(item["criterion"]), str(item.get("section") or "")))
    return tuple(out)


def trial_verdict(
    *,
    answers: Answers,
    facets: Mapping[str, FacetRecord] | Sequence[FacetRecord],
    limits: AgeSexLimits,
) -> TrialVerdict:
    """The trial's verdict and the facet outcomes behind it."""
    if not isinstance(facets, Mapping):
        facets = {f.kind: f for f in facets}
    facts = screening_facts(facets)
    outcomes: list[FacetOutcome] = []
    checks = (
        ("stages", stage_outcome(answers, facts), facts.stage_review),
        ("resectability", resectability_outcome(answers, facts), facts.resectability_review),
        ("prior_treatment", prior_treatment_outcome(answers, facts), facts.prior_review),
    )
    for kind, result, review in checks:
        if result is None:
            continue
        outcome, note = result
        if review:
            note = _not_relied_on(kind, kind in facets)
        outcomes.append(FacetOutcome(kind, outcome, note, _evidence(facets.get(kind))))
    for kind, result, quote in (
        ("age", age_outcome(answers, limits), _age_quote(limits)),
        ("sex", sex_outcome(answers, limits), f"Sex: {(limits.sex or '').title()}"),
    ):
        if result is not None:
            outcomes.append(FacetOutcome(kind, result[0], result[1], ((quote, "other"),)))
    outcomes.sort(key=lambda o: _ORDER[o.outcome])
    verdict: Verdict = "compatible"
    if any(o.outcome == FAILS for o in outcomes):
        verdict = "conflict"
    elif any(o.outcome == UNKNOWN for o in outcomes):
        verdict = "unclear"
    return TrialVerdict(verdict=verdict, facets=tuple(outcomes))


def _age_quote(limits: AgeSexLimits) -> str:
    parts = []
    if limits.minimum_age_days is not None:
        parts.append(f"Minimum age: {limits.minimum_age_text}")
    if limits.maximum_age_days is not None:
        parts.append(f"Maximum age: {limits.maximum_age_text}")
    return "; ".join(parts)
