"""Small text helpers shared by the stage and prior-treatment rules."""

from __future__ import annotations

import re
from functools import lru_cache

# Sentence ends: ". " or "; " before a capital/bracket, and inline "(1)" list markers.
# Abbreviations that end in a dot ("e.g.", "vs.") must not end a sentence.
_SENTENCE_END = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bno)(?<!\bapprox)(?<!\bDr)(?<!\bSt)"
    r"(?:[.;]\s+(?=[A-Z(\[])|;\s*|\s\(\d{1,2}\)\s)"
)


@lru_cache(maxsize=4096)
def sentences(text: str) -> tuple[str, ...]:
    """Split a criterion into sentences (clauses joined by ";" are separate).

    Cached: the stage, prior-treatment and cohort rules all split the same criteria.
    """
    return tuple(s.strip() for s in _SENTENCE_END.split(text) if s and s.strip())


def blank_all(text: str, regex: re.Pattern[str]) -> str:
    """``text`` with every match of ``regex`` replaced by spaces."""
    return regex.sub(lambda m: " " * len(m.group(0)), text)


def fold(text: str) -> str:
    """Lower-case ``text`` keeping every character at its position.

    Matching folded text against lower-case patterns is about twice as fast as
    ``re.IGNORECASE``. The rare characters whose lower case is longer ("İ") become "?".
    """
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) == 1 else "?" for c in text).lower()
