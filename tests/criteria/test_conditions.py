"""normalise_condition and DISEASE_LABELS."""

from __future__ import annotations

import pytest

from trials.criteria import DISEASE_LABELS, DISEASE_PARENTS, normalise_condition, related_diseases


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Malignant Pleural Mesothelioma", "mesothelioma_pleural"),
        ("Mesothelioma of the Pleura", "mesothelioma_pleural"),
        ("MPM", "mesothelioma_pleural"),
        ("Peritoneal Mesothelioma", "mesothelioma_peritoneal"),
        ("Mesothelioma", "mesothelioma"),
        ("Stage IV Cutaneous Melanoma AJCC v8", "melanoma"),
        ("Uveal Melanoma", "melanoma"),
        ("Advanced Renal Cell Carcinoma", "renal_cell_carcinoma"),
        ("Clear Cell Renal Cell Carcinoma", "renal_cell_carcinoma"),
        ("RCC", "renal_cell_carcinoma"),
        ("Diffuse Large B-cell Lymphoma", "lymphoma"),
        ("Hodgkin Lymphoma, Adult", "lymphoma"),
        ("Acute Myeloid Leukemia", "leukemia"),
        ("Chronic Lymphocytic Leukaemia", "leukemia"),
        ("Relapsed or Refractory Multiple Myeloma", "myeloma"),
        ("Solid Tumors", "solid_tumor"),
        ("Advanced Malignant Neoplasm", "solid_tumor"),
        ("Neoplasms", "solid_tumor"),
        ("Carcinoma, Non-Small-Cell Lung", "lung_cancer"),
        ("Extensive Stage Lung Small Cell Carcinoma", "lung_cancer"),
        ("Triple Negative Breast Cancer", "breast_cancer"),
        ("Metastatic Castration-Sensitive Prostate Cancer", "prostate_cancer"),
        ("Colorectal Cancer Metastatic", "colorectal_cancer"),
        ("Bladder Cancer", "bladder_cancer"),
        ("Urothelial Cancer", "bladder_cancer"),
        ("Gall Bladder Cancer", "biliary_cancer"),
        ("Pancreatic Ductal Adenocarcinoma", "pancreatic_cancer"),
    ],
)
def test_condition_names_map_to_codes(name: str, code: str) -> None:
    assert normalise_condition(name) == code


@pytest.mark.parametrize(
    "name",
    [
        "Type 2 Diabetes",
        "Asthma",
        "Healthy",
        "Brain Metastases, Adult",
        "Peritoneal Metastases",
        "",
    ],
)
def test_non_cancer_and_metastasis_sites_give_no_code(name: str) -> None:
    assert normalise_condition(name) == ""


def test_every_code_has_a_plain_language_label() -> None:
    assert DISEASE_LABELS["mesothelioma_pleural"] == "Pleural mesothelioma"
    for code in (
        "melanoma",
        "renal_cell_carcinoma",
        "lymphoma",
        "leukemia",
        "solid_tumor",
        "lung_cancer",
        "breast_cancer",
        "prostate_cancer",
        "colorectal_cancer",
        "bladder_cancer",
        "myeloma",
        "mesothelioma",
        "mesothelioma_peritoneal",
    ):
        label = DISEASE_LABELS[code]
        assert label[0].isupper() and "_" not in label


@pytest.mark.parametrize(
    ("code", "includes", "excludes"),
    [
        # A person with pleural mesothelioma: listings for mesothelioma (site not given) and
        # for solid tumours admit them; peritoneal-only listings do not.
        ("mesothelioma_pleural", {"mesothelioma", "solid_tumor"}, {"mesothelioma_peritoneal"}),
        # A search for mesothelioma means every site.
        ("mesothelioma", {"mesothelioma_pleural", "mesothelioma_peritoneal"}, {"melanoma"}),
        ("melanoma", {"solid_tumor"}, {"mesothelioma", "lymphoma"}),
        # Blood cancers are not solid tumours.
        ("lymphoma", set(), {"solid_tumor", "leukemia"}),
        ("leukemia", set(), {"solid_tumor", "lymphoma"}),
        ("solid_tumor", {"melanoma", "renal_cell_carcinoma", "mesothelioma_pleural"}, {"myeloma"}),
    ],
)
def test_related_diseases_take_in_broader_and_narrower_listings(
    code: str, includes: set[str], excludes: set[str]
) -> None:
    related = related_diseases(code)
    assert code in related
    assert includes <= related
    assert not excludes & related


def test_every_disease_parent_is_a_known_code() -> None:
    assert set(DISEASE_PARENTS) <= set(DISEASE_LABELS)
    assert set(DISEASE_PARENTS.values()) <= set(DISEASE_LABELS)
    assert related_diseases("not_a_code") == {"not_a_code"}
