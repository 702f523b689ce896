"""``extract_facets``: the one entry point that reads every facet of a listing."""

from __future__ import annotations

from collections.abc import Sequence

from .conditions import normalise_condition
from .context import item_contexts
from .model import ExtractedFacets
from .prior import read_prior
from .split import CriterionItem, split_criteria
from .stage import read_stage
from .text import fold


def extract_facets(
    *,
    criteria_text: str,
    conditions: Sequence[str] = (),
    items: Sequence[CriterionItem] | None = None,
) -> ExtractedFacets:
    """Read stage, resectability, prior treatment and washout notes from a listing.

    ``items`` may be passed when the text was already split; it is split otherwise.
    """
    if items is None:
        items = split_criteria(criteria_text)
    # Lower-cased once here for the pre-checks and rules of all three readers.
    folded = [fold(item.text) for item in items]
    contexts = item_contexts(items, folded)
    stages, resectability = read_stage(items, contexts, conditions, folded)
    prior_treatment, washout = read_prior(items, contexts, folded)
    diseases = tuple(dict.fromkeys(c for c in map(normalise_condition, conditions) if c))
    return ExtractedFacets(
        stages=stages,
        resectability=resectability,
        prior_treatment=prior_treatment,
        washout=washout,
        diseases=diseases,
    )
