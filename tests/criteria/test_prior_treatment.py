"""Prior-treatment and washout facets (contract section 2, "Prior treatment")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from trials.criteria import (
    TREATMENT_CLASS_LABELS,
    TREATMENT_CLASS_PARENTS,
    TREATMENT_CLASSES,
    extract_facets,
)


def listing(inclusion: Sequence[str] = (), exclusion: Sequence[str] = ()) -> str:
    text = "Inclusion Criteria:\n\n" + "".join(f"* {c}\n" for c in inclusion)
    if exclusion:
        text += "\nExclusion Criteria:\n\n" + "".join(f"* {c}\n" for c in exclusion)
    return text


def prior(inc: Sequence[str] = (), exc: Sequence[str] = ()) -> dict[str, Any]:
    facet = extract_facets(criteria_text=listing(inc, exc)).prior_treatment
    return {**facet.value, "review": facet.review}  # type: ignore[dict-item]


NOTHING = {
    "required": [],
    "excluded": [],
    "min_prior_lines": None,
    "max_prior_lines": None,
    "review": False,
}


@pytest.mark.parametrize(
    ("inclusion", "required"),
    [
        ("Refractory to anti-PD-1 therapy", ["checkpoint_inhibitor"]),
        ("Progressed on or after platinum-based chemotherapy", ["platinum_chemotherapy"]),
        ("Must have received prior treatment with pembrolizumab", ["checkpoint_inhibitor"]),
        ("Previously treated with sunitinib or pazopanib", ["targeted_therapy"]),
        ("After failure of prior chemotherapy", ["chemotherapy"]),
        ("Relapsed after high-dose IL-2", ["interleukin"]),
        ("Must have had prior treatment with standard doses of Temodar", ["chemotherapy"]),
        (
            "Completed definitive concurrent chemoradiotherapy within 12 weeks prior to "
            "randomisation",
            ["chemotherapy", "radiotherapy"],
        ),
        ("Must have progressed on prior interferon alfa", ["interferon"]),
        (
            "Received at least 2 cycles of platinum-based chemotherapy concurrent with radiation "
            "therapy",
            ["platinum_chemotherapy", "radiotherapy"],
        ),
    ],
)
def test_required_classes(inclusion: str, required: list[str]) -> None:
    assert prior([inclusion])["required"] == required


@pytest.mark.parametrize(
    ("criteria", "excluded"),
    [
        ((["No prior IL-2"], []), ["interleukin"]),
        ((["Prior anti-PD-1 therapy is not allowed"], []), ["checkpoint_inhibitor"]),
        ((["Must not have received interferon"], []), ["interferon"]),
        (
            (["No prior chemotherapy, radiotherapy or immunotherapy"], []),
            ["chemotherapy", "checkpoint_inhibitor", "interleukin", "interferon", "radiotherapy"],
        ),
        ((["Anti-PD-1 naive"], []), ["checkpoint_inhibitor"]),
        (([], ["Prior treatment with an immune checkpoint inhibitor"]), ["checkpoint_inhibitor"]),
        (([], ["Previous radiotherapy"]), ["radiotherapy"]),
        (([], ["Patients who have received aldesleukin are excluded"]), ["interleukin"]),
        (
            ([], ["Previous history of radiotherapy or chemotherapy prior to study enrollment"]),
            ["chemotherapy", "radiotherapy"],
        ),
    ],
)
def test_excluded_classes(criteria: tuple[list[str], list[str]], excluded: list[str]) -> None:
    assert prior(*criteria)["excluded"] == excluded


@pytest.mark.parametrize(
    ("inclusion", "exclusion"),
    [
        ([], ["Chemotherapy, radiotherapy or immunotherapy within 4 weeks prior to first dose"]),
        ([], ["Anticancer therapy within 5 half-lives of the study drug"]),
        ([], ["Prior radiotherapy in the last 28 days"]),
        ([], ["Chemotherapy < 14 days prior to randomisation"]),
        (["No chemotherapy within 4 weeks before enrolment"], []),
        (["Patients who have received chemotherapy within 4 weeks are not eligible"], []),
        (["More than 30 days since prior chemotherapy"], []),
        (["Prior radiotherapy is allowed if completed 2 weeks before the first dose"], []),
        (["Prior treatment with nivolumab is permitted"], []),
        (["Patients may have received adjuvant chemotherapy"], []),
        ([], ["No prior radiation to the target lesion"]),
        ([], ["Prior radiotherapy to more than 25% of bone marrow"]),
        ([], ["Prior whole brain radiotherapy"]),
        ([], ["History of pelvic RT"]),
        ([], ["Prior treatment with pembrolizumab"]),
        ([], ["Prior exposure to a HER2-targeted agent"]),
        ([], ["Prior EGFR TKI therapy"]),
        ([], ["Concurrent chemotherapy"]),
        ([], ["Hypersensitivity to platinum-based chemotherapy"]),
        ([], ["Grade 3 toxicity from prior immunotherapy"]),
        ([], ["Prior checkpoint inhibitors, other than durvalumab or pembrolizumab"]),
        ([], ["Disease progression within 6 months of adjuvant chemotherapy"]),
        ([], ["Prior radiotherapy (RT) alone as definitive local therapy"]),
        ([], ["Live vaccine within 30 days of the first dose"]),
        ([], ["Patients known to have N2 disease prior to surgery are not eligible"]),
        ([], ["Previous thoracic or abdominal (upper GI) surgery"]),
        ([], ["Participants who had surgical treatment for obesity"]),
        ([], ["Patients with previous brachytherapy or radiosurgery"]),
        ([], ["Unsuitable for curative radiotherapy (e.g. prior pelvic radiotherapy)"]),
        ([], ["Prior treatment with an ADC containing a chemotherapeutic agent targeting TOP1"]),
    ],
)
def test_washouts_permissions_and_narrow_limits_exclude_no_class(
    inclusion: list[str], exclusion: list[str]
) -> None:
    got = prior(inclusion, exclusion)
    assert (got["required"], got["excluded"], got["max_prior_lines"]) == ([], [], None)


def test_washout_is_kept_as_a_note() -> None:
    facets = extract_facets(
        criteria_text=listing([], ["Chemotherapy or radiotherapy within 4 weeks prior to dosing"])
    )
    assert facets.washout.value == [
        {
            "class": "chemotherapy",
            "text": "Chemotherapy or radiotherapy within 4 weeks prior to dosing",
            "section": "exclusion",
        },
        {
            "class": "radiotherapy",
            "text": "Chemotherapy or radiotherapy within 4 weeks prior to dosing",
            "section": "exclusion",
        },
    ]
    assert facets.washout.rule == "washout.time_limited"
    assert facets.prior_treatment.value["excluded"] == []  # type: ignore[index]


@pytest.mark.parametrize(
    ("inclusion", "exclusion", "min_lines", "max_lines"),
    [
        (["No more than 2 prior regimens"], [], None, 2),
        (["At least one prior line of systemic therapy"], [], 1, None),
        (["1 to 3 prior lines of therapy"], [], 1, 3),
        (["Has had 1, 2, 3, or 4 prior lines of therapy"], [], 1, 4),
        (["Received one or more prior lines of therapy for advanced disease"], [], 1, None),
        (["Treatment-naive metastatic melanoma"], [], None, 0),
        (["Previously untreated advanced RCC"], [], None, 0),
        (["No prior systemic therapy for metastatic disease"], [], None, 0),
        (["Fewer than 3 prior regimens"], [], None, 2),
        ([], ["More than 2 prior lines of therapy"], None, 2),
        (
            [],
            [
                "Prior systemic therapy for advanced disease is not permitted, apart from "
                "adjuvant therapy"
            ],
            None,
            0,
        ),
        (["No more than 2 prior lines of endocrine therapy"], [], None, None),
        (["One or more lines of endocrine therapy"], [], 1, None),
        (["Received no more than 2 cycles of systemic therapy"], [], None, None),
        (["Treatment naive or progressed on 1 or more lines of therapy"], [], None, None),
    ],
)
def test_line_limits(
    inclusion: list[str], exclusion: list[str], min_lines: int | None, max_lines: int | None
) -> None:
    got = prior(inclusion, exclusion)
    assert (got["min_prior_lines"], got["max_prior_lines"]) == (min_lines, max_lines)


def test_no_prior_systemic_therapy_for_metastatic_disease_excludes_no_class() -> None:
    assert prior(["No prior systemic therapy for metastatic disease"])["excluded"] == []


def test_no_prior_systemic_therapy_except_adjuvant_caps_lines_only() -> None:
    got = prior(["No prior systemic therapy except adjuvant treatment"])
    assert (got["excluded"], got["max_prior_lines"]) == ([], 0)


def test_unscoped_no_prior_systemic_therapy_excludes_it_and_caps_lines() -> None:
    got = prior(["No prior systemic therapy"])
    assert (got["excluded"], got["max_prior_lines"]) == (["systemic_therapy"], 0)


@pytest.mark.parametrize(
    "criteria",
    [
        ["Cohort 1: refractory to anti-PD-1 therapy", "Cohort 3: naive to anti-PD-1 therapy"],
        ["Arm B only: no prior chemotherapy"],
        ["For one part of the study, participants must have received prior oxaliplatin"],
        [
            "Patients must fit one of the following:",
            "  * Refractory to anti-PD-1 therapy",
            "  * No prior immunotherapy",
        ],
    ],
)
def test_cohort_specific_limits_are_not_trial_wide(criteria: list[str]) -> None:
    got = prior(criteria)
    assert (got["required"], got["excluded"], got["review"]) == ([], [], True)


def test_limits_under_a_cohort_heading_are_not_trial_wide() -> None:
    text = (
        "Inclusion Criteria:\n\n* Age 18 or over\n\nCohort A:\n\n* Refractory to anti-PD-1\n\n"
        "Cohort B:\n\n* No prior anti-PD-1"
    )
    facet = extract_facets(criteria_text=text).prior_treatment
    assert facet.value["required"] == facet.value["excluded"] == []  # type: ignore[index]
    assert facet.review is True


def test_two_populations_in_one_criterion_are_cohorts() -> None:
    got = prior(
        [
            "Patients with pancreatic cancer must have progressed on prior gemcitabine. Patients "
            "with other solid tumors must have progressed on prior systemic therapy."
        ]
    )
    assert (got["required"], got["review"]) == ([], True)


def test_required_subclass_makes_parent_redundant() -> None:
    got = prior(["Progressed after chemoradiotherapy with platinum-based chemotherapy"])
    assert got["required"] == ["platinum_chemotherapy", "radiotherapy"]


def test_required_immunotherapy_cannot_be_one_class_so_goes_to_review() -> None:
    got = prior(["Must have progressed on prior immunotherapy"])
    assert (got["required"], got["review"]) == ([], True)


def test_nothing_said_gives_nothing() -> None:
    assert prior(["Age 18 or over"], ["Pregnancy"]) == NOTHING


def test_evidence_and_rule_name_the_criterion() -> None:
    facet = extract_facets(criteria_text=listing(["No prior IL-2"])).prior_treatment
    assert [(e.criterion, e.section) for e in facet.evidence] == [("No prior IL-2", "inclusion")]
    assert facet.rule == "prior.excluded"


def test_treatment_class_tables_agree() -> None:
    assert set(TREATMENT_CLASS_PARENTS) == set(TREATMENT_CLASS_LABELS) == set(TREATMENT_CLASSES)
    assert TREATMENT_CLASS_PARENTS["platinum_chemotherapy"] == "chemotherapy"
    assert {c for c, p in TREATMENT_CLASS_PARENTS.items() if p == "systemic_therapy"} == {
        "chemotherapy",
        "checkpoint_inhibitor",
        "interleukin",
        "interferon",
        "targeted_therapy",
    }
    assert TREATMENT_CLASS_PARENTS["radiotherapy"] is None
    assert "cisplatin" in TREATMENT_CLASS_LABELS["platinum_chemotherapy"][1]
