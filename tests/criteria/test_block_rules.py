"""The block parser leaves out heading, setext-heading and thematic-break rules only where
they cannot match: the tokens must be those of the parser with every rule on."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it.token import Token

from trials.criteria.split import _block_parser, _unused_block_rules

# Line pieces close to what each left-out rule looks for, mixed with list markers,
# indentation, tabs and every kind of line break markdown-it normalises.
PIECE = st.sampled_from(
    [
        "Inclusion Criteria:",
        "stage IV",
        "text",
        "# Heading",
        "## ",
        "#",
        "a#b",
        "---",
        "--",
        "-",
        "- -",
        "- - -",
        "===",
        "=",
        "= =",
        "***",
        "* * *",
        "*\t*\t*",
        "___",
        "_ _",
        "-_-",
        "* ",
        "- ",
        "+ ",
        "1. ",
        "2) ",
        "  ",
        "    ",
        "\t",
    ]
)
BREAK = st.sampled_from(["\n", "\n\n", "\r\n", "\r", " "])
TEXT = st.lists(st.tuples(PIECE, PIECE, BREAK), max_size=14).map(
    lambda parts: "".join(a + b + br for a, b, br in parts)
)


def _shape(tokens: list[Token]) -> list[tuple[object, ...]]:
    return [
        (t.type, t.tag, t.nesting, t.map, t.level, t.content, t.markup, t.attrs, t.info)
        for t in tokens
    ]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_leaving_out_unmatchable_rules_keeps_every_token(text: str) -> None:
    full = _block_parser(()).parse(text)
    assert _shape(_block_parser(_unused_block_rules(text)).parse(text)) == _shape(full)


def test_rules_are_left_out_only_without_their_syntax() -> None:
    assert _unused_block_rules("* a\n* b") == ("heading", "lheading", "hr")
    assert "heading" not in _unused_block_rules("# Title")
    assert "lheading" not in _unused_block_rules("Title\r  ===  \r* a")
    assert "hr" not in _unused_block_rules("* a\n- * * *\n")
    assert "hr" in _unused_block_rules("* a - b - c\n")
