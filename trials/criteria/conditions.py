"""Normalise registry condition names to a small set of disease codes."""

from __future__ import annotations

import re
from functools import cache

from .vocab import compile_words, load


@cache
def _tables() -> tuple[re.Pattern[str], tuple[tuple[str, re.Pattern[str]], ...]]:
    data = load("diseases")
    ignore = re.compile(data["ignore"], re.IGNORECASE)
    return ignore, tuple((d["code"], compile_words(d["pattern"])) for d in data["diseases"])


DISEASE_LABELS: dict[str, str] = {d["code"]: d["label"] for d in load("diseases")["diseases"]}


def normalise_condition(name: str) -> str:
    """Disease code for a condition name, or "" when it names no known disease."""
    text = name.strip()
    ignore, table = _tables()
    if not text or ignore.search(text):
        return ""
    for code, regex in table:
        if regex.search(text):
            return code
    return ""
