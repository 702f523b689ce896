"""Bit layouts are stored in every ScreeningProfile: they may only grow at the end."""

from __future__ import annotations

import pytest

from trials.screening.vocabulary import (
    CYTOKINE_FAMILY_BITS,
    STAGE_BITS,
    TREATMENT_CLASS_BITS,
    classes_from_mask,
    cytokine_families_for,
    descendants,
    stage_mask,
    stages_from_mask,
    treatment_mask,
    with_ancestors,
)

# Pinned: a change here means every stored mask changed meaning (rebuild the profiles and
# extend, never reorder).
PINNED_STAGES = ["I", "II", "III", "IV"]
PINNED_CLASSES = [
    "chemotherapy",
    "platinum_chemotherapy",
    "checkpoint_inhibitor",
    "interleukin",
    "interferon",
    "targeted_therapy",
    "radiotherapy",
    "surgery",
    "systemic_therapy",
]
PINNED_FAMILIES = [
    "IL2",
    "IL7",
    "IL10",
    "IL12",
    "IL15",
    "IL18",
    "IL21",
    "IL_OTHER",
    "IFN_ALPHA",
    "IFN_BETA",
    "IFN_GAMMA",
    "IFN_LAMBDA",
]


@pytest.mark.parametrize(
    ("bits", "pinned"),
    [
        (STAGE_BITS, PINNED_STAGES),
        (TREATMENT_CLASS_BITS, PINNED_CLASSES),
        (CYTOKINE_FAMILY_BITS, PINNED_FAMILIES),
    ],
)
def test_bit_positions_are_append_only(bits: dict[str, int], pinned: list[str]) -> None:
    assert list(bits)[: len(pinned)] == pinned
    assert [bits[name] for name in pinned] == [1 << i for i in range(len(pinned))]


@pytest.mark.parametrize(
    ("had", "closure"),
    [
        (["platinum_chemotherapy"], {"platinum_chemotherapy", "chemotherapy", "systemic_therapy"}),
        (["interleukin"], {"interleukin", "systemic_therapy"}),
        (["radiotherapy"], {"radiotherapy"}),
        ([], set()),
    ],
)
def test_with_ancestors_closes_over_parents(had: list[str], closure: set[str]) -> None:
    assert with_ancestors(had) == closure


def test_descendants_of_systemic_therapy_are_the_systemic_classes() -> None:
    assert descendants("systemic_therapy") == {
        "chemotherapy",
        "platinum_chemotherapy",
        "checkpoint_inhibitor",
        "interleukin",
        "interferon",
        "targeted_therapy",
    }
    assert descendants("chemotherapy") == {"platinum_chemotherapy"}
    assert descendants("surgery") == frozenset()


def test_masks_round_trip() -> None:
    assert stages_from_mask(stage_mask(["IV", "III"])) == ["III", "IV"]
    assert classes_from_mask(treatment_mask(["surgery", "chemotherapy"])) == [
        "chemotherapy",
        "surgery",
    ]


@pytest.mark.parametrize(
    ("values", "families"),
    [
        (["interferon"], {"IFN_ALPHA", "IFN_BETA", "IFN_GAMMA", "IFN_LAMBDA"}),
        (["IL2", "IL15"], {"IL2", "IL15"}),
        (["interleukin", "IFN_GAMMA"], set(PINNED_FAMILIES[:8]) | {"IFN_GAMMA"}),
    ],
)
def test_cytokine_classes_expand_to_families(values: list[str], families: set[str]) -> None:
    assert cytokine_families_for(values) == families
