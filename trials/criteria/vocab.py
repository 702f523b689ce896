"""Load the vocabulary data files once and compile their regexes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .prefilter import Gated

_DIR = Path(__file__).resolve().parent / "vocabulary"


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed JSON vocabulary file ``vocabulary/<name>.json``."""
    with (_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def compile_words(pattern: str) -> Gated:
    """Case-insensitive regex that only matches whole words (no substrings)."""
    return Gated(re.compile(rf"(?<![\w-])(?:{pattern})(?![\w])", re.IGNORECASE))


@dataclass(frozen=True, slots=True)
class TreatmentTerm:
    """A vocabulary term naming one or more treatment classes."""

    regex: Gated
    classes: tuple[str, ...]
    generic: bool
    combine: str  # "all": means every class; "any": one of them


@cache
def treatment_regex() -> Gated:
    """All treatment terms as one alternation, group ``t<i>`` for term ``i``.

    One scan per sentence instead of one per term; at any position the term listed
    first in the file wins ("platinum-based chemotherapy" before "chemotherapy").
    Compiled lower-case, to be matched against :func:`text.fold` ed text (the term
    patterns use no upper-case escapes such as ``\\S``, so lower-casing keeps meaning).
    Gated (prefilter.py): the terms' first letters are built in as a look-ahead trie, so
    re rules out most word starts at once instead of trying every term there.
    """
    parts = (
        rf"(?P<t{i}>{t['pattern'].lower()})" for i, t in enumerate(load("treatments")["terms"])
    )
    return Gated(re.compile(rf"(?<![\w-])(?:{'|'.join(parts)})(?![\w-])"))


@cache
def treatment_terms() -> tuple[TreatmentTerm, ...]:
    """Treatment terms, in file order (more specific terms first)."""
    return tuple(
        TreatmentTerm(
            regex=compile_words(t["pattern"]),
            classes=tuple(t["classes"]),
            generic=bool(t["generic"]),
            combine=t.get("combine", "all"),
        )
        for t in load("treatments")["terms"]
    )
