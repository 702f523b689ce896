"""Property tests: the extractor never raises and stays inside its vocabulary."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trials.criteria import (
    STAGES,
    TREATMENT_CLASSES,
    classify_intervention,
    extract_facets,
    normalise_condition,
    split_criteria,
)

# Fragments of real-looking criteria wording, so that the rules (not just the parser)
# get exercised by the generated Markdown.
WORDS = st.sampled_from(
    [
        "stage",
        "IIIB-IV",
        "IV",
        "metastatic",
        "locally advanced",
        "advanced",
        "or",
        "unresectable",
        "resected",
        "no prior",
        "chemotherapy",
        "anti-PD-1",
        "IL-2",
        "within 4 weeks",
        "refractory to",
        "at least",
        "2",
        "prior lines",
        "naive",
        "except",
        "adjuvant",
        "Cohort A:",
        "brain metastases",
        "\\>=",
        "=\\<",
        "(",
        ")",
        "platinum-based",
        "radiotherapy to the pelvis",
        "is allowed",
        "not",
        ";",
        ".",
    ]
)
LINE = st.lists(WORDS, min_size=1, max_size=12).map(" ".join)
BLOCK = st.one_of(
    LINE.map(lambda s: f"* {s}"),
    LINE.map(lambda s: f"  * {s}"),
    LINE.map(lambda s: f"1. {s}"),
    LINE.map(lambda s: f"## {s}"),
    LINE.map(lambda s: f"**{s}**"),
    st.sampled_from(["Inclusion Criteria:", "Exclusion Criteria", "PART B:", "", "---"]),
    LINE,
)
MARKDOWN = st.lists(BLOCK, max_size=25).map("\n".join)
CONDITIONS = st.lists(st.one_of(st.text(max_size=40), LINE), max_size=4)


def check(text: str, conditions: list[str]) -> None:
    facets = extract_facets(criteria_text=text, conditions=conditions)
    assert set(facets.stages.value) <= set(STAGES)  # type: ignore[arg-type]
    assert list(facets.stages.value) == [s for s in STAGES if s in facets.stages.value]  # type: ignore[operator]
    assert facets.resectability.value in (None, "resectable", "unresectable")
    prior = facets.prior_treatment.value
    assert isinstance(prior, dict)
    assert set(prior["required"]) <= set(TREATMENT_CLASSES)
    assert set(prior["excluded"]) <= set(TREATMENT_CLASSES)
    for key in ("min_prior_lines", "max_prior_lines"):
        assert prior[key] is None or (isinstance(prior[key], int) and prior[key] >= 0)
    assert all(w["class"] in TREATMENT_CLASSES for w in facets.washout.value)  # type: ignore[attr-defined]
    # A facet without a value has no evidence unless it was sent to review.
    if not facets.stages.value and not facets.stages.review:
        assert facets.stages.evidence == ()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), CONDITIONS)
def test_arbitrary_text_never_raises(text: str, conditions: list[str]) -> None:
    check(text, conditions)
    split_criteria(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWN, CONDITIONS)
def test_markdown_criteria_never_raise_and_stay_in_vocabulary(
    text: str, conditions: list[str]
) -> None:
    check(text, conditions)
    items = split_criteria(text)
    assert [i.order for i in items] == list(range(len(items)))
    assert all(i.section in ("inclusion", "exclusion", "other") and i.depth >= 0 for i in items)
    assert all(i.text == " ".join(i.text.split()) and i.text for i in items)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.lists(st.text(max_size=30), max_size=3), st.text())
def test_cytokine_and_condition_lookups_never_raise(
    name: str, other: list[str], description: str
) -> None:
    match = classify_intervention(name, other, description)
    assert match is None or match.cls in ("interleukin", "interferon")
    assert isinstance(normalise_condition(name), str)
