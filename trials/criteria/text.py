"""Small text helpers shared by the stage and prior-treatment rules."""

from __future__ import annotations

import re
from functools import lru_cache

from .prefilter import Gated

# Sentence ends: ". " or "; " before a capital/bracket, and inline "(1)" list markers.
# Abbreviations that end in a dot ("e.g.", "vs.") must not end a sentence.
_SENTENCE_END = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bno)(?<!\bapprox)(?<!\bDr)(?<!\bSt)"
    r"(?:[.;]\s+(?=[A-Z(\[])|;\s*|\s\(\d{1,2}\)\s)"
)
# Every sentence end starts at a "." or ";", or at the blank before a "(". Searching
# _SENTENCE_END directly tries its seven look-behinds at every character; finding these
# characters first and only trying _SENTENCE_END there is several times faster.
_SENTENCE_CANDIDATE = re.compile(r"[.;(]")


@lru_cache(maxsize=4096)
def sentences(text: str) -> tuple[str, ...]:
    """Split a criterion into sentences (clauses joined by ";" are separate).

    Cached: the stage, prior-treatment and cohort rules all split the same criteria.
    Same pieces as ``_SENTENCE_END.split(text)``: the leftmost match from the end of the
    previous one, tried only where a match can start (``match`` at ``pos`` still sees
    the text before ``pos`` for the look-behinds).
    """
    pieces: list[str] = []
    last = 0
    for cand in _SENTENCE_CANDIDATE.finditer(text):
        pos = cand.start()
        if text[pos] == "(":
            pos -= 1
        if pos < last:
            continue
        end = _SENTENCE_END.match(text, pos)
        if end:
            pieces.append(text[last:pos])
            last = end.end()
    pieces.append(text[last:])
    return tuple(s.strip() for s in pieces if s and s.strip())


def blank_all(text: str, regex: re.Pattern[str] | Gated) -> str:
    """``text`` with every match of ``regex`` replaced by spaces."""
    if isinstance(regex, Gated):
        return regex.blank(text)  # pre-checked, and run lower-case where it can
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
