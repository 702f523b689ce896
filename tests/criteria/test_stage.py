"""Stage and resectability facets (contract section 2, "Stage")."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from trials.criteria import extract_facets


def listing(inclusion: Sequence[str] = (), exclusion: Sequence[str] = ()) -> str:
    text = "Inclusion Criteria:\n\n" + "".join(f"* {c}\n" for c in inclusion)
    if exclusion:
        text += "\nExclusion Criteria:\n\n" + "".join(f"* {c}\n" for c in exclusion)
    return text


def stages(inc: Sequence[str] = (), exc: Sequence[str] = (), conditions: Sequence[str] = ()):
    facets = extract_facets(criteria_text=listing(inc, exc), conditions=conditions)
    return facets.stages.value, facets.resectability.value, facets.stages.review


@pytest.mark.parametrize(
    ("inclusion", "expected"),
    [
        ("Histologically confirmed stage IV melanoma", ["IV"]),
        ("Stage IIIB-IV non-small cell lung cancer", ["III", "IV"]),
        ("Stage II to IV disease", ["II", "III", "IV"]),
        ("Stages II-III breast cancer", ["II", "III"]),
        ("FIGO stage IIIC1 or IIIC2 cervical cancer", ["III"]),
        ("FIGO 2018 stage IB2-IIA1 cervical cancer", ["I", "II"]),
        ("AJCC stage IIIB/C/D melanoma", ["III"]),
        ("FIGO 2018 Stage IIIA to IVA cervical carcinoma", ["III", "IV"]),
        ("Completely resected stage IIA, IIB, IIIA or IIIB NSCLC", ["II", "III"]),
        ("Stage IIIB/IIIC or Stage IV NSCLC", ["III", "IV"]),
        ("Metastatic castration-resistant prostate cancer", ["IV"]),
        ("Evidence of distant metastases on imaging", ["IV"]),
        ("Oligometastatic disease with up to 5 lesions", ["IV"]),
        ("Locally advanced pancreatic cancer", ["III"]),
        ("Advanced solid tumour refractory to standard therapy", ["III", "IV"]),
        ("Locally advanced or metastatic urothelial carcinoma", ["III", "IV"]),
        ("Advanced or metastatic clear cell RCC", ["III", "IV"]),
        ("Early-stage breast cancer", ["I", "II"]),
        ("Confirmed diagnosis of ABC/MBC", ["III", "IV"]),
        ("Unresectable stage III or stage IV melanoma", ["III", "IV"]),
        ("Stage I-IV disease of any histology", []),
    ],
)
def test_inclusion_wording_gives_admitted_stages(inclusion: str, expected: list[str]) -> None:
    assert stages([inclusion])[0] == expected


@pytest.mark.parametrize(
    "inclusion",
    [
        "Epithelioid histology confirmed by a pathologist",
        "Measurable disease per RECIST 1.1",
        "ECOG performance status 0-1",
        "Recurrent or refractory disease after standard therapy",
        "WHO grade II meningioma after gross total resection",
        "Pathological diagnosis of high-grade (IV) malignant glioma",
        "Karnofsky 60% allowed if due to advanced skeletal disease",
        "AST =< 5 x ULN if known liver metastases",
        "Patients with treated brain metastases are eligible",
        "Must have progressed on systemic therapy in the metastatic setting",
        "Diffuse large B-cell lymphoma, including activated B-cell (ABC) type",
        "Will have completed radiotherapy by the time of stage 2 participation consent",
    ],
)
def test_wording_that_is_not_stage_sets_no_limit(inclusion: str) -> None:
    assert stages([inclusion])[:2] == ([], None)


@pytest.mark.parametrize(
    ("inclusion", "exclusion", "expected"),
    [
        ([], ["Stage IV disease"], ["I", "II", "III"]),
        ([], ["Evidence of metastatic disease"], ["I", "II", "III"]),
        (["Advanced solid tumour"], ["Metastatic disease"], ["III"]),
        ([], ["Locally advanced or metastatic disease"], ["I", "II"]),
        (
            ["Stage IIIB-IVA cervical cancer", "Stage IVB with local disease only"],
            ["Distant metastasis needing upfront systemic therapy"],
            ["III", "IV"],
        ),
        (["Metastatic NSCLC"], ["Known brain metastases"], ["IV"]),
        (["Metastatic NSCLC"], ["Symptomatic CNS metastases or leptomeningeal disease"], ["IV"]),
        (["Metastatic NSCLC"], ["History of metastatic disease from another cancer"], ["IV"]),
        (
            ["Metastatic NSCLC"],
            ["Prior malignancy except adequately treated stage I cervical cancer in situ"],
            ["IV"],
        ),
        (["Advanced breast cancer"], ["Advanced, symptomatic visceral spread"], ["III", "IV"]),
        (["Metastatic NSCLC"], ["Metastasis other than to the liver or lung"], ["IV"]),
        (
            ["Locally advanced or metastatic solid tumour"],
            ["Active central nervous system (CNS) metastases"],
            ["III", "IV"],
        ),
        (
            ["Locally advanced or metastatic breast cancer"],
            ["Prior systemic therapy for locally advanced or metastatic disease"],
            ["III", "IV"],
        ),
    ],
)
def test_exclusion_stages_are_removed_only_when_stated_plainly(
    inclusion: list[str], exclusion: list[str], expected: list[str]
) -> None:
    assert stages(inclusion, exclusion)[0] == expected


@pytest.mark.parametrize(
    ("inclusion", "expected"),
    [
        ("No metastatic disease at time of biopsy", ["I", "II", "III"]),
        ("Non-metastatic breast cancer", ["I", "II", "III"]),
        (
            "No evidence of distant metastases, or locally advanced inoperable disease",
            ["I", "II", "III"],
        ),
        ("Non-metastatic disease or oligometastatic", []),
    ],
)
def test_negated_metastatic_in_inclusion_removes_stage_iv(
    inclusion: str, expected: list[str]
) -> None:
    assert stages([inclusion])[0] == expected


def test_explicit_inclusion_stage_is_not_removed_by_a_negation() -> None:
    assert stages(["TNM stages III and IV head and neck cancer", "No metastatic disease (M0)"])[
        0
    ] == ["III", "IV"]


@pytest.mark.parametrize(
    ("conditions", "inclusion", "expected"),
    [
        (["Stage IV Cutaneous Melanoma AJCC v8"], [], ["IV"]),
        (["Stage IIIA Lung Cancer AJCC v8", "Stage IIIB Lung Cancer AJCC v8"], [], ["III"]),
        (
            ["Metastatic Pancreatic Ductal Adenocarcinoma"],
            ["Locally advanced or metastatic"],
            ["III", "IV"],
        ),
        (["Brain Metastases, Adult"], [], ["IV"]),
        (["Lymph Node Metastases"], [], []),
        (["Non-metastatic Castration-resistant Prostate Cancer"], [], ["I", "II", "III"]),
    ],
)
def test_condition_names_carry_stages(
    conditions: list[str], inclusion: list[str], expected: list[str]
) -> None:
    value, _, _ = stages(inclusion, conditions=conditions)
    assert value == expected


@pytest.mark.parametrize(
    ("inclusion", "resectability", "expected_stages"),
    [
        ("Unresectable malignant pleural mesothelioma", "unresectable", []),
        ("Epithelioid, unresectable pleural mesothelioma (MPM)", "unresectable", []),
        ("Inoperable recurrent disease", "unresectable", []),
        ("Disease not amenable to surgical resection", "unresectable", []),
        ("Unresectable or metastatic melanoma", None, ["III", "IV"]),
        # The same words the other way round.
        ("Metastatic or unresectable melanoma", None, ["III", "IV"]),
        ("Measurable, metastatic, or unresectable solid tumour", None, ["III", "IV"]),
        ("Metastatic or inoperable renal cell carcinoma", None, ["III", "IV"]),
        ("Locally advanced, unresectable, or metastatic disease", None, ["III", "IV"]),
        ("Unresectable stage III or stage IV melanoma", None, ["III", "IV"]),
        ("Stage IV NSCLC, not amenable to curative surgery", None, ["IV"]),
        ("Completely resected stage III melanoma", "resectable", ["III"]),
        ("Resectable or borderline resectable pancreatic cancer", "resectable", []),
        ("Candidate for surgical resection of the primary tumour", "resectable", []),
        ("Concomitant resectable pulmonary metastases are allowed", None, []),
        # A resected metastasis at one site says nothing about the disease's resectability.
        ("Patients with treated or surgically resected brain metastases are eligible", None, []),
        ("Completely resected CNS metastases, stable for 4 weeks, are allowed", None, []),
        ("Surgically resected stage III melanoma", "resectable", ["III"]),
    ],
)
def test_resectability(
    inclusion: str, resectability: str | None, expected_stages: list[str]
) -> None:
    value, resect, _ = stages([inclusion])
    assert (resect, value) == (resectability, expected_stages)


def test_unresectable_in_exclusion_means_resectable() -> None:
    _, resect, _ = stages(["Early-stage breast cancer"], ["Inoperable locally advanced disease"])
    assert resect == "resectable"


def test_cohorts_disagreeing_on_resectability_give_none() -> None:
    _, resect, _ = stages(
        ["Cohort 1: unresectable stage III NSCLC", "Cohort 2: completely resected stage II NSCLC"]
    )
    assert resect is None


@pytest.mark.parametrize(
    "inclusion",
    [
        "Clinical stage T3-4 N0-1 disease according to AJCC 8th edition",
        "Metastatic or recurrent head and neck cancer",
        "Extensive stage small cell lung cancer",
        "Stage 4 colorectal cancer",
        "Stage IV or recurrent NSCLC",
    ],
)
def test_stage_wording_that_cannot_be_read_goes_to_review(inclusion: str) -> None:
    assert stages([inclusion])[2] is True


def test_no_stage_wording_means_no_limit_and_no_evidence() -> None:
    facets = extract_facets(criteria_text=listing(["Age 18 or over"]))
    assert (facets.stages.value, facets.stages.evidence, facets.stages.review) == ([], (), False)


def test_evidence_quotes_the_criterion_and_its_section() -> None:
    facets = extract_facets(criteria_text=listing(["Age 18", "Stage IV melanoma"]))
    assert [(e.criterion, e.section) for e in facets.stages.evidence] == [
        ("Stage IV melanoma", "inclusion")
    ]
    assert facets.stages.rule == "stage.explicit"


def test_exclusion_removal_is_named_in_the_rule() -> None:
    facets = extract_facets(criteria_text=listing(["Advanced disease"], ["Metastatic disease"]))
    assert facets.stages.rule == "stage.advanced+stage.exclusion_removal"
