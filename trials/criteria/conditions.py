"""Normalise registry condition names to a small set of disease codes."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .prefilter import Gated
from .vocab import compile_words, load


@cache
def _tables() -> tuple[Gated, tuple[tuple[str, Gated], ...], Gated]:
    data = load("diseases")
    ignore = Gated(re.compile(data["ignore"], re.IGNORECASE))
    table = tuple((d["code"], compile_words(d["pattern"])) for d in data["diseases"])
    # Matches exactly where one of the table's patterns does: about half the names are
    # no known disease, and one search says so instead of one per disease.
    anything = compile_words("|".join(f"(?:{d['pattern']})" for d in data["diseases"]))
    return ignore, table, anything


DISEASE_LABELS: dict[str, str] = {d["code"]: d["label"] for d in load("diseases")["diseases"]}


# Cached: a pure function of the name, and names recur (a listing's conditions are read
# for its facets and again for its condition rows; "Breast Cancer" names many listings).
# Kept small, a cache of recent names rather than of every name ever seen.
@lru_cache(maxsize=256)
def normalise_condition(name: str) -> str:
    """Disease code for a condition name, or "" when it names no known disease."""
    text = name.strip()
    ignore, table, anything = _tables()
    if not text or ignore.test(text) or not anything.test(text):
        return ""
    for code, regex in table:
        if regex.test(text):
            return code
    return ""


DISEASE_PARENTS: dict[str, str] = {
    d["code"]: d["parent"] for d in load("diseases")["diseases"] if d.get("parent")
}


def related_diseases(code: str) -> frozenset[str]:
    """The disease codes whose listings may admit a person with `code`, or that a search
    for `code` means: the code itself, the broader diseases it is a kind of (a listing for
    mesothelioma, site not given, or for solid tumours admits pleural mesothelioma), and
    the kinds of it (a search for mesothelioma finds pleural and peritoneal listings).
    Unknown codes give only themselves."""
    related = {code}
    parent = DISEASE_PARENTS.get(code)
    while parent and parent not in related:
        related.add(parent)
        parent = DISEASE_PARENTS.get(parent)
    frontier = {code}
    while frontier:
        frontier = {kind for kind, p in DISEASE_PARENTS.items() if p in frontier} - related
        related |= frontier
    return frozenset(related)


# Compile at import rather than while reading the first listing.
_tables()
