"""Shortcuts taken for speed give what the plain formulation they stand for gives."""

from __future__ import annotations

import random
import re
import string
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from trials.criteria import conditions, normalise_condition, prior, split
from trials.criteria.prefilter import Gated

# Whitespace of every kind str.split() knows, the traps of re.IGNORECASE, and text.
ALPHABET = " \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u2028\u3000ab Z9_/+-.:()é\u0130\u0131\u017f\u212a"


def test_every_whitespace_but_the_space_is_unprintable() -> None:
    """_fold keeps a printable text without double, leading or trailing spaces as it is:
    the only whitespace str.split() could split such a text at is " "."""
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if ch.isspace() and ch != " ":
            assert not ch.isprintable(), hex(code)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_fold_collapses_whitespace_like_split_and_join(text: str) -> None:
    assert split._fold(text) == " ".join(text.split())


SETEXT_ANY_LINE = re.compile(r"^[ \t]*(?:-+|=+)[ \t]*$", re.MULTILINE)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=" \t\n-=*_#ab", max_size=30))
def test_setext_underline_found_at_the_start_or_after_a_break(text: str) -> None:
    found = split._SETEXT_UNDERLINE.match(text) or split._SETEXT_UNDERLINE_AFTER_BREAK.search(text)
    assert bool(found) == bool(SETEXT_ANY_LINE.search(text))


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["* a", "1. b", "text", "# h", "---", "===", "  c", "\t", "d\x00e"]),
        max_size=10,
    ).map("\n".join)
)
def test_leaving_out_normalize_without_cr_or_nul_keeps_every_token(text: str) -> None:
    off = split._unused_block_rules(text)
    with_normalize = split._block_parser(off).parse(text)
    tokens = split._block_tokens(text)
    assert tokens == [
        (t.type, t.content)
        for t in with_normalize
        if t.type not in ("paragraph_open", "paragraph_close")
    ]


def test_texts_with_cr_or_nul_are_still_normalised() -> None:
    assert split._block_tokens("* a\r* b") == split._block_tokens("* a\n* b")
    assert split._block_tokens("* a\x00b") == split._block_tokens("* a\ufffdb")


LAST_WORD = re.compile(r"[\w/+-]+$")


def test_last_word_read_backwards_is_the_last_word() -> None:
    rng = random.Random(0)
    for _ in range(20000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 30))).rstrip()
        if not (text and text[-1].isalnum()):
            continue
        match = prior._LAST_WORD_REVERSED.match(text[::-1])
        assert match is not None
        assert match.group()[::-1] == LAST_WORD.findall(text)[0], text


def test_a_class_matches_each_character_in_the_cases_the_character_does() -> None:
    """Gated leads case-insensitive patterns with a class of their first characters,
    under the pattern's own flags: for every character the patterns open with, the class
    and the character match exactly the same characters, in every case."""
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    for ch in sorted(set(string.ascii_letters + string.digits + "\u2264\u2265<=>\u2013\u2022([+/")):
        literal = re.findall(re.escape(ch), everything, re.IGNORECASE)
        in_class = re.findall(f"[{re.escape(ch)}]", everything, re.IGNORECASE)
        assert literal == in_class, ch


def test_case_insensitive_patterns_are_led_where_re_cannot_skip() -> None:
    gated = prior._rx()["lines_max"]  # "\bno more than|...|≤|=<|<=|...": no skip, no twin
    assert gated._folded is None and gated.regex.pattern.startswith("(?=")
    assert gated.regex.flags & re.IGNORECASE
    # re skips to a "^" pattern's start, and to a caseless first character, itself.
    anchored = Gated(re.compile(r"^\W*(?:cohort|arm)\b", re.IGNORECASE))
    assert not anchored.regex.pattern.startswith("(?=")
    assert not prior._rx()["abbrev_paren"].regex.pattern.startswith("(?=")  # "\(\s*..."


def test_condition_names_read_the_same_through_the_cache() -> None:
    names = ["Breast Cancer", "breast cancer", "  Melanoma ", "Brain Metastases", "", "x"]
    for name in names * 2:
        assert normalise_condition(name) == normalise_condition.__wrapped__(name)
    ignore, table, anything = conditions._tables()
    assert isinstance(ignore, Gated) and table and isinstance(anything, Gated)
