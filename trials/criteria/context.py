"""Where a criterion sits: whether it holds for everyone the listing admits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from .prefilter import Gated
from .split import CriterionItem
from .text import fold, sentences
from .vocab import load


@dataclass(frozen=True, slots=True)
class ItemContext:
    """``cohort``: under a cohort/part heading or prefix; ``alternative``: one of several
    options ("must fit one of the following"). Either way it is not trial-wide."""

    cohort: bool
    alternative: bool


# The four possible contexts, made once (they are immutable).
_CONTEXTS = {
    (c, a): ItemContext(cohort=c, alternative=a) for c in (False, True) for a in (False, True)
}

# Every population sentence has one of these verbs; most criteria have none.
_MODAL = Gated(re.compile(r"must|should|need|required", re.IGNORECASE))


@cache
def _rx() -> dict[str, Gated]:
    keys = (
        "cohort_heading",
        "cohort_heading_all",
        "cohort_prefix",
        "alternatives_parent",
        "population_sentence",
    )
    data = load("prior")
    # Gated: each runs on every criterion, and most criteria have none of their words.
    return {k: Gated(re.compile(data[k], re.IGNORECASE)) for k in keys}


def item_contexts(
    items: Sequence[CriterionItem], folded: Sequence[str] | None = None
) -> list[ItemContext]:
    """One :class:`ItemContext` per item; ``folded``: their texts through :func:`fold`."""
    rx = _rx()
    headings: dict[str, bool] = {}
    if folded is None:
        folded = [fold(i.text) for i in items]
    # The pre-checks' lower case (needle_text) of an ASCII text is its fold(), at hand.
    lows = [f if i.text.isascii() else None for i, f in zip(items, folded, strict=True)]
    prefix_rx = rx["cohort_prefix"]
    prefix = [prefix_rx.test(i.text, low) for i, low in zip(items, lows, strict=True)]
    # Whether an item opens options matters only for items that are parents, and whether
    # it is a population sentence only near an item with one such sentence of its own:
    # both are read when first asked, for those few items, rather than for every item.
    opens_options: dict[int, bool] = {}
    population: dict[int, bool] = {}

    def opens(p: int) -> bool:
        got = opens_options.get(p)
        if got is None:
            got = opens_options[p] = rx["alternatives_parent"].test(items[p].text, lows[p])
        return got

    def is_population(j: int) -> bool:
        got = population.get(j)
        if got is None:
            got = population[j] = items[j].depth > 0 and rx["population_sentence"].test(
                items[j].text, lows[j]
            )
        return got

    out: list[ItemContext] = []
    parents: list[int] = []
    for idx, item in enumerate(items):
        # (Most criteria are top-level: no parents, nothing to look through.)
        parents = [p for p in parents if items[p].depth < item.depth] if item.depth else []
        if item.heading not in headings:
            named, everyone = rx["cohort_heading"], rx["cohort_heading_all"]
            headings[item.heading] = named.test(item.heading) and not everyone.test(item.heading)
        cohort = (
            headings[item.heading]
            or prefix[idx]
            or (bool(parents) and any(prefix[p] for p in parents))
        )
        alternative = bool(parents) and any(opens(p) for p in parents)
        # Two or more "patients with X must ..." sentences, in one criterion or among
        # siblings, describe different populations.
        own = (
            sum(1 for s in sentences(item.text) if rx["population_sentence"].test(s))
            if _MODAL.test(item.text, lows[idx])
            else 0
        )
        if own >= 2:
            cohort = True
        elif own == 1:  # siblings only matter then
            window = range(max(0, idx - 6), min(len(items), idx + 7))
            siblings = sum(1 for j in window if items[j].depth == item.depth and is_population(j))
            cohort |= siblings >= 2
        out.append(_CONTEXTS[cohort, alternative])
        parents.append(idx)
    return out


# Compile at import rather than while reading the first listing.
_rx()
