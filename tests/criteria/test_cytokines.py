"""classify_intervention: cytokine families, blockers and near misses (contract section 1)."""

from __future__ import annotations

import pytest

from trials.criteria import CytokineMatch, classify_intervention


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("Aldesleukin", "IL2"),
        ("Proleukin", "IL2"),
        ("Interleukin-2", "IL2"),
        ("IL-2", "IL2"),
        ("rIL-2", "IL2"),
        ("Recombinant Human Interleukin-2", "IL2"),
        ("Teceleukin", "IL2"),
        ("Bempegaldesleukin", "IL2"),
        ("NKTR-214", "IL2"),
        ("Nemvaleukin Alfa", "IL2"),
        ("ALKS 4230", "IL2"),
        ("Low-dose IL-2 (subcutaneous)", "IL2"),
        ("CYT107", "IL7"),
        ("Recombinant interleukin-7", "IL7"),
        ("Efineptakin alfa", "IL7"),
        ("Pegilodecakin", "IL10"),
        ("IL-10", "IL10"),
        ("NHS-IL12", "IL12"),
        ("M9241", "IL12"),
        ("Tavokinogene Telseplasmid", "IL12"),
        ("Interleukin-12", "IL12"),
        ("N-803", "IL15"),
        ("ALT-803", "IL15"),
        ("Nogapendekin Alfa Inbakicept", "IL15"),
        ("Anktiva", "IL15"),
        ("NKTR-255", "IL15"),
        ("rhIL-15", "IL15"),
        ("Interleukin-18", "IL18"),
        ("IL-18", "IL18"),
        ("Interleukin-21", "IL21"),
        ("IL-21", "IL21"),
        ("Oprelvekin", "IL_OTHER"),
        ("Interleukin-4", "IL_OTHER"),
        ("Interferon Alfa-2b", "IFN_ALPHA"),
        ("Intron A", "IFN_ALPHA"),
        ("Interferon alfa-2a", "IFN_ALPHA"),
        ("Roferon-A", "IFN_ALPHA"),
        ("Peginterferon alfa-2b", "IFN_ALPHA"),
        ("Sylatron", "IFN_ALPHA"),
        ("PegIntron", "IFN_ALPHA"),
        ("Peginterferon alfa-2a", "IFN_ALPHA"),
        ("Pegasys", "IFN_ALPHA"),
        ("Ropeginterferon alfa-2b", "IFN_ALPHA"),
        ("Interferon", "IFN_ALPHA"),
        ("Interferon beta-1a", "IFN_BETA"),
        ("Interferon Beta-1b", "IFN_BETA"),
        ("Interferon gamma-1b", "IFN_GAMMA"),
        ("Actimmune", "IFN_GAMMA"),
        ("Interferon gamma", "IFN_GAMMA"),
        ("Peginterferon lambda", "IFN_LAMBDA"),
        ("Peginterferon Lambda-1a", "IFN_LAMBDA"),
    ],
)
def test_cytokine_names_map_to_their_family(name: str, family: str) -> None:
    match = classify_intervention(name)
    assert match is not None and match.family == family


@pytest.mark.parametrize(
    ("name", "cls"), [("Aldesleukin", "interleukin"), ("Pegasys", "interferon")]
)
def test_match_reports_class_and_the_words_matched(name: str, cls: str) -> None:
    assert classify_intervention(name) == CytokineMatch(
        family=classify_intervention(name).family,
        cls=cls,
        matched=name,  # type: ignore[union-attr]
    )


@pytest.mark.parametrize(
    "name",
    [
        "Tocilizumab",
        "Sarilumab",
        "Siltuximab",
        "Anakinra",
        "Secukinumab",
        "Ustekinumab",
        "Basiliximab",
        "Daclizumab",
        "Anti-IL-6 monoclonal antibody",
        "IL-1 receptor antagonist",
        "Interleukin-2 receptor antibody",
        "IL-17A inhibitor",
        "Anti-interferon alpha antibody",
        "Interferon gamma release assay",
        "QuantiFERON-TB Gold",
        "Serum IL-6 level",
        "Ruxolitinib",
    ],
)
def test_blockers_and_tests_are_not_cytokine_therapy(name: str) -> None:
    assert classify_intervention(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "Pembrolizumab",
        "Best Available Therapy (BAT)",
        "Interleukin-21 receptor expression analysis",
        "Hildegard of Bingen tea",  # "IL" inside words is not a cytokine
        "Trilaciclib",
        "Laboratory Biomarker Analysis",
    ],
)
def test_near_misses_return_none(name: str) -> None:
    assert classify_intervention(name) is None


def test_name_takes_precedence_over_other_names() -> None:
    match = classify_intervention("Interferon gamma-1b", other_names=["Aldesleukin"])
    assert match is not None and match.family == "IFN_GAMMA"


def test_other_names_are_used_when_the_name_is_a_code() -> None:
    match = classify_intervention("XYZ-101", other_names=["Proleukin"])
    assert match is not None and match.family == "IL2"


@pytest.mark.parametrize(
    ("description", "family"),
    [
        ("A DNA plasmid encoding human interleukin-12 delivered by electroporation", "IL12"),
        ("IL-12 plasmid injected into the tumour", "IL12"),
        ("Encapsulated cells secreting IL-2 placed in the peritoneum", "IL2"),
        ("An IL-15 superagonist complex given subcutaneously", "IL15"),
    ],
)
def test_description_counts_only_for_a_delivering_construct(description: str, family: str) -> None:
    match = classify_intervention("Study drug", description=description)
    assert match is not None and match.family == family


@pytest.mark.parametrize(
    "description",
    [
        "Tumour-infiltrating lymphocytes, followed by high-dose IL-2 after infusion",
        "Patients previously treated with interferon are eligible",
        "Blocks the interleukin-6 receptor",
    ],
)
def test_description_mentioning_a_cytokine_in_passing_is_ignored(description: str) -> None:
    assert classify_intervention("Cell therapy", description=description) is None
