"""Where a criterion sits: whether it holds for everyone the listing admits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from .split import CriterionItem
from .text import sentences
from .vocab import load


@dataclass(frozen=True, slots=True)
class ItemContext:
    """``cohort``: under a cohort/part heading or prefix; ``alternative``: one of several
    options ("must fit one of the following"). Either way it is not trial-wide."""

    cohort: bool
    alternative: bool


# Every population sentence has one of these verbs; most criteria have none.
_MODAL = re.compile(r"must|should|need|required", re.IGNORECASE)


@cache
def _rx() -> dict[str, re.Pattern[str]]:
    keys = (
        "cohort_heading",
        "cohort_heading_all",
        "cohort_prefix",
        "alternatives_parent",
        "population_sentence",
    )
    data = load("prior")
    return {k: re.compile(data[k], re.IGNORECASE) for k in keys}


def item_contexts(items: Sequence[CriterionItem]) -> list[ItemContext]:
    """One :class:`ItemContext` per item."""
    rx = _rx()
    headings: dict[str, bool] = {}
    prefix = [bool(rx["cohort_prefix"].search(i.text)) for i in items]
    opens_options = [bool(rx["alternatives_parent"].search(i.text)) for i in items]
    population = [i.depth > 0 and bool(rx["population_sentence"].search(i.text)) for i in items]
    out: list[ItemContext] = []
    parents: list[int] = []
    for idx, item in enumerate(items):
        parents = [p for p in parents if items[p].depth < item.depth]
        if item.heading not in headings:
            headings[item.heading] = bool(
                rx["cohort_heading"].search(item.heading)
                and not rx["cohort_heading_all"].search(item.heading)
            )
        cohort = headings[item.heading] or prefix[idx] or any(prefix[p] for p in parents)
        alternative = any(opens_options[p] for p in parents)
        # Two or more "patients with X must ..." sentences, in one criterion or among
        # siblings, describe different populations.
        own = (
            sum(1 for s in sentences(item.text) if rx["population_sentence"].search(s))
            if _MODAL.search(item.text)
            else 0
        )
        window = range(max(0, idx - 6), min(len(items), idx + 7))
        siblings = sum(1 for j in window if population[j] and items[j].depth == item.depth)
        cohort |= own >= 2 or (own >= 1 and siblings >= 2)
        out.append(ItemContext(cohort=cohort, alternative=alternative))
        parents.append(idx)
    return out
