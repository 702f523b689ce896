"""Classify an intervention into a cytokine agent family (contract section 1)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from .vocab import compile_words, load


@dataclass(frozen=True, slots=True)
class CytokineMatch:
    """A cytokine therapy family found in an intervention."""

    family: str
    cls: str
    matched: str


@dataclass(frozen=True, slots=True)
class _Family:
    family: str
    cls: str
    regex: re.Pattern[str]


@cache
def _tables() -> tuple[re.Pattern[str], tuple[_Family, ...], re.Pattern[str]]:
    data = load("cytokines")
    # Blockers and tests are blanked out (not just skipped) so that "anti-IL-6" cannot
    # leave a stray "IL-6" behind for the family patterns to find.
    blank = compile_words(f"{data['blockers']}|{data['not_therapy']}")
    families = tuple(
        _Family(f["family"], f["cls"], compile_words(f["pattern"])) for f in data["families"]
    )
    constructs = re.compile(data["description_constructs"], re.IGNORECASE)
    return blank, families, constructs


def _match(text: str) -> CytokineMatch | None:
    blank, families, _ = _tables()
    cleaned = blank.sub(" ", text)
    for fam in families:
        m = fam.regex.search(cleaned)
        if m:
            return CytokineMatch(family=fam.family, cls=fam.cls, matched=m.group(0))
    return None


def classify_intervention(
    name: str, other_names: Sequence[str] = (), description: str = ""
) -> CytokineMatch | None:
    """Cytokine family of an intervention, or None (not a cytokine, or a blocker).

    Precedence: the name, then each other name, then the description, which only counts
    when it describes a construct that delivers the cytokine ("plasmid encoding IL-12");
    a description that mentions a cytokine in passing does not.
    """
    for text in (name, *other_names):
        if text:
            found = _match(text)
            if found:
                return found
    if description:
        blank, _, constructs = _tables()
        cleaned = blank.sub(" ", description)
        for m in constructs.finditer(cleaned):
            target = m.group("a") or m.group("b") or m.group("c") or ""
            found = _match(target)
            if found:
                return found
    return None


# Compile at import rather than while classifying the first intervention.
_tables()
