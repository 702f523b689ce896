"""split_criteria: CommonMark eligibility text to ordered, sectioned criteria."""

from __future__ import annotations

import pytest

from trials.criteria import CriterionItem, split_criteria


def sections(text: str) -> list[tuple[str, str]]:
    return [(i.section, i.text) for i in split_criteria(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Inclusion Criteria:\n\n* Age 18 or over\n\nExclusion Criteria:\n\n* Pregnancy",
        "INCLUSION CRITERIA:\n\n* Age 18 or over\n\nEXCLUSION CRITERIA:\n\n* Pregnancy",
        "Inclusion Criteria\n\n* Age 18 or over\n\nExclusion Criteria\n\n* Pregnancy",
        "Key Inclusion Criteria:\n\n* Age 18 or over\n\nKey Exclusion Criteria:\n\n* Pregnancy",
        "**Inclusion criteria**\n\n* Age 18 or over\n\n**Exclusion criteria**\n\n* Pregnancy",
        "## Inclusion Criteria\n\n* Age 18 or over\n\n## Exclusion Criteria\n\n* Pregnancy",
        "1) Inclusion Criteria\n\n* Age 18 or over\n\n2) Exclusion Criteria\n\n* Pregnancy",
        "* Inclusion Criteria:\n* Age 18 or over\n* Exclusion Criteria:\n* Pregnancy",
        "Inclusion Criteria (all of the following):\n\n1. Age 18 or over\n\n"
        "Exclusion Criteria (any of the following):\n\n1. Pregnancy",
        "Subjects must meet all of the following criteria to participate in this study:\n\n"
        "* Age 18 or over\n\n"
        "Participants are excluded from the study if any of the following criteria apply:\n\n"
        "* Pregnancy",
    ],
    ids=[
        "title-case-colon",
        "upper-case",
        "no-colon",
        "key-criteria",
        "bold",
        "atx-heading",
        "numbered-heading",
        "heading-as-bullet",
        "parenthetical-heading",
        "sentence-heading",
    ],
)
def test_heading_variants_open_sections(text: str) -> None:
    assert sections(text) == [("inclusion", "Age 18 or over"), ("exclusion", "Pregnancy")]


def test_heading_glued_to_first_criterion_is_split_off() -> None:
    text = (
        "Inclusion Criteria:1. Men or women aged 18 or over 2. Signed informed consent from "
        "the participant or a legal representative according to local regulations 3. "
        "Must have progressed on any systemic anticancer therapy in the metastatic setting "
        "with at least twelve months of follow-up - Exclusion Criteria:1. History of another "
        "malignancy within three years"
    )
    got = sections(text)
    assert got[0] == ("inclusion", "Men or women aged 18 or over")
    assert got[-1] == ("exclusion", "History of another malignancy within three years")
    assert len(got) == 4


def test_sentence_mentioning_criteria_is_not_a_heading() -> None:
    text = (
        "Exclusion Criteria:\n\n* Pregnancy\n\nOther protocol-defined exclusion criteria may apply."
    )
    assert sections(text)[-1] == (
        "exclusion",
        "Other protocol-defined exclusion criteria may apply.",
    )


def test_nested_bullets_get_depth() -> None:
    text = (
        "Inclusion Criteria:\n\n* Adequate organ function:\n\n"
        "  * Platelets >= 100,000\n\n    * without transfusion\n* Age 18 or over"
    )
    assert [(i.depth, i.text) for i in split_criteria(text)] == [
        (0, "Adequate organ function:"),
        (1, "Platelets >= 100,000"),
        (2, "without transfusion"),
        (0, "Age 18 or over"),
    ]


def test_numbered_lists_nest_like_bullets() -> None:
    text = "Inclusion Criteria:\n\n1. Cardiac function\n\n   1. LVEF >= 50%\n2. ECOG 0-1"
    assert [(i.depth, i.text) for i in split_criteria(text)] == [
        (0, "Cardiac function"),
        (1, "LVEF >= 50%"),
        (0, "ECOG 0-1"),
    ]


def test_markdown_escapes_are_undone_and_whitespace_folded() -> None:
    text = "Inclusion Criteria:\n\n* Creatinine =\\< 1.5 x ULN and   ANC \\>= 1500/uL"
    assert split_criteria(text)[0].text == "Creatinine =< 1.5 x ULN and ANC >= 1500/uL"


def test_wrapped_bullet_stays_one_criterion() -> None:
    text = "Inclusion Criteria:\n\n* Histologically confirmed\n  melanoma of the skin\n* Age 18"
    assert [i.text for i in split_criteria(text)] == [
        "Histologically confirmed melanoma of the skin",
        "Age 18",
    ]


def test_listing_without_exclusion_header_is_all_inclusion() -> None:
    text = "Inclusion Criteria:\n\n* Age 18 or over\n* No prior chemotherapy"
    assert {i.section for i in split_criteria(text)} == {"inclusion"}


def test_text_before_any_heading_is_other() -> None:
    text = "Patients should fulfil these:\n\n* Age 18 or over\n\nExclusion Criteria:\n\n* HIV"
    got = split_criteria(text)
    assert (got[0].section, got[0].heading) == ("other", "Patients should fulfil these")
    assert got[-1].section == "exclusion"


def test_old_nci_blocks_are_other_with_their_block_as_heading() -> None:
    text = (
        "DISEASE CHARACTERISTICS:\n\n* Histologically proven prostate cancer\n\n"
        "PRIOR CONCURRENT THERAPY:\n\nRadiotherapy:\n\n* At least 18 months since radiotherapy"
    )
    got = split_criteria(text)
    assert [(i.section, i.heading) for i in got] == [
        ("other", "DISEASE CHARACTERISTICS"),
        ("other", "Radiotherapy"),
    ]


@pytest.mark.parametrize(
    ("sub", "expected"),
    [("Cohort A:", "Cohort A"), ("PART B:", "PART B"), ("Part 2 only", "Part 2 only")],
)
def test_cohort_sub_headings_become_the_heading(sub: str, expected: str) -> None:
    text = f"Inclusion Criteria:\n\n* Age 18 or over\n\n{sub}\n\n* Refractory to anti-PD-1"
    got = split_criteria(text)
    assert (got[0].heading, got[1].heading) == ("Inclusion Criteria", expected)
    assert got[1].section == "inclusion"


def test_cohort_prefix_inside_a_bullet_is_kept_as_text() -> None:
    text = "Inclusion Criteria:\n\n* Cohort B: naive to anti-PD-1 therapy"
    assert split_criteria(text)[0].text == "Cohort B: naive to anti-PD-1 therapy"


def test_order_counts_every_criterion_from_zero() -> None:
    text = "Inclusion Criteria:\n\n* a\n  * b\n\nExclusion Criteria:\n\n* c"
    assert [i.order for i in split_criteria(text)] == [0, 1, 2]


def test_items_are_frozen_dataclasses() -> None:
    item = split_criteria("Inclusion Criteria:\n\n* Age 18")[0]
    assert item == CriterionItem("inclusion", 0, 0, "Inclusion Criteria", "Age 18")
    with pytest.raises(AttributeError):
        item.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["", "   \n\n", "Inclusion Criteria:"])
def test_empty_or_heading_only_text_gives_no_items(text: str) -> None:
    assert split_criteria(text) == []
