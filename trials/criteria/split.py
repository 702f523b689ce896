"""Split registry eligibility text (CommonMark) into criterion items.

The text is parsed with markdown-it-py; regexes only classify the *lines* the parser
yields (is this a heading? which section does it open?), never the raw Markdown.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .prefilter import Gated, needle_text

Section = Literal["inclusion", "exclusion", "other"]


@dataclass(frozen=True, slots=True)
class CriterionItem:
    """One criterion: a bullet, a numbered entry or a line of free text."""

    section: str
    order: int
    depth: int
    heading: str
    text: str


# Built once. Rules that cannot occur in registry criteria (links, HTML, fences) are off
# for speed; so is the indented-code rule, so that text indented by four spaces stays a
# criterion instead of a code block.
_OFF = [
    "code",
    "fence",
    "blockquote",
    "html_block",
    "reference",
    "link",
    "image",
    "autolink",
    "html_inline",
    "backticks",
]
# The full parser; only its inline rules are used (``parseInline``), for the few inline
# tokens that hold emphasis or entities.
_MD = MarkdownIt("commonmark").disable(_OFF)

# Block rules that few listings give any occasion to fire, each with a cheap test that is
# true wherever the rule could match. markdown-it tries every enabled rule at each line
# start, and "lheading" scans a whole paragraph (running the terminator rules on every
# line) before it finds no underline, which the paragraph rule then does again: leaving
# out a rule that cannot match makes the block parse about a fifth faster. A rule that
# fails changes nothing the parse yields (lheading leaves state.parentType at
# "paragraph", but only list_block reads it, when called as a paragraph terminator, and
# every caller of that sets it to "paragraph" first).
# The line tests run on the text with "\r" made a line break, as markdown-it's
# normalisation does ("\r\n" becomes an extra empty line, which neither test matches).
# heading (ATX): a "#" opens the line's content.
# lheading (setext): a line of only "-" or only "=", between spaces and tabs. A line
# starts at the text's start or after a "\n", so the test is a match at the start and a
# search for "\n" and the rest: re skips from one "\n" to the next, where a "^" pattern
# would be tried at every character.
_SETEXT_UNDERLINE = re.compile(r"[ \t]*(?:-+|=+)[ \t]*$", re.MULTILINE)
_SETEXT_UNDERLINE_AFTER_BREAK = re.compile(r"\n[ \t]*(?:-+|=+)[ \t]*$", re.MULTILINE)
# hr: three or more of one of "*-_", with only spaces and tabs between and after, up to
# the line end. Not anchored at the line start: a list item's content starts after its
# marker ("- ***").
_THEMATIC_BREAK = re.compile(r"([*_-])(?:[ \t]*\1){2,}[ \t]*$", re.MULTILINE)


def _unused_block_rules(text: str) -> tuple[str, ...]:
    """The optional block rules (see above) that cannot match anywhere in ``text``."""
    lines = text.replace("\r", "\n") if "\r" in text else text
    off: list[str] = []
    if "#" not in text:
        off.append("heading")
    if not (_SETEXT_UNDERLINE.match(lines) or _SETEXT_UNDERLINE_AFTER_BREAK.search(lines)):
        off.append("lheading")
    if not _THEMATIC_BREAK.search(lines):
        off.append("hr")
    return tuple(off)


@cache
def _block_parser(off: tuple[str, ...]) -> MarkdownIt:
    """Block structure only, without the rules ``off``: most inline tokens are plain text
    lines, read directly by _inline_lines, so running the inline parser over all of them
    is wasted work. (At most sixteen parsers, one per set of rules left out.)"""
    return MarkdownIt("commonmark").disable([*_OFF, "inline", "text_join", *off])


# Inline syntax the enabled inline rules act on besides line breaks and backslash escapes:
# emphasis ("*", "_") and entities ("&"). Content without them is its own text, line for
# line, once the escapes are undone as markdown-it's escape rule does (registry text
# escapes "<", ">", "[" and "]" a lot).
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _unescape(m: re.Match[str]) -> str:
    """A backslash escape: a line break before a newline, the character itself if it is
    ASCII punctuation, else the backslash and the character unchanged."""
    ch = m.group(1)
    if ch == "\n":
        return "\n"
    return ch if ch in string.punctuation else m.group(0)


# "Key Inclusion Criteria:", "1) Exclusion Criteria", "Inclusion criteria specific to
# Cohort A1:", "INCLUSION CRITERIA (Parts 1 and 2):", "Inclusion Criteria:1. Men ..."
# Gated: most lines name no section, which a literal pre-check ("inclusio"...) shows fast.
_SECTION_HEAD = Gated(
    re.compile(
        r"^[\W\d]*?(?:\d+\)\s*)?(?P<pre>(?:[A-Za-z0-9/-]+\s+){0,4}?)"
        r"(?P<kind>inclusion|exclusion|eligibility)\s+criteri[a-z]*(?P<rest>.*)$",
        re.IGNORECASE | re.DOTALL,
    )
)
# Words that show a line merely *mentions* criteria ("Other protocol-defined inclusion
# criteria may apply", "as per the above inclusion criteria").
_NOT_HEAD_WORDS = re.compile(
    r"\b(other|protocol|see|above|mentioned|those|per|not|no|apply|applies|will be|are|is)\b",
    re.IGNORECASE,
)
_REST_OK = re.compile(
    r"^\s*(?:$|[:(\-\u2013]|for\b|specific\b|disease\b|and\b|of\b|to\b)", re.IGNORECASE
)
# Sentences that open a section without naming it ("Subjects will be excluded if they
# meet any of the following criteria:").
_EXCLUSION_SENTENCE = re.compile(
    r"\b(?:excluded|exclusion)\b.*\bfollowing criteria\b|\bfollowing criteria\b.*\bexcluded\b",
    re.IGNORECASE,
)
_INCLUSION_SENTENCE = re.compile(
    r"\b(?:must meet all|meet all of the following|fulfil+ the following|selected for the "
    r"study|enrolled if they meet|should fulfil+)\b.*\bcriteria\b",
    re.IGNORECASE,
)
# A section heading glued to its first criterion: "Inclusion Criteria:1. Men or ...",
# or a second section starting mid-line: "... expression - Exclusion Criteria:1. Have".
# Gated: a line with a ":" rarely names criteria, and re is slow to say so (IGNORECASE).
_INLINE_SECTION = Gated(
    re.compile(r"(?:\s[-\u2013\u2022]\s*|[.;]\s+)((?:inclusion|exclusion) criteria\s*:)", re.I)
)
_GLUED_NUMBER = Gated(re.compile(r"(criteria\s*:)(?=\d)", re.I))
_INLINE_NUMBER = re.compile(r"(?<=\s)(?=\d{1,2}[.)]\s+[A-Z(])")
_NUMBER_RUN = re.compile(r"(?:^|\s)1[.)]\s.*\s2[.)]\s.*\s3[.)]\s")
_NUMBER_PREFIX = re.compile(r"^\s*(?:\d{1,2}[.)]|[a-z][.)]|[\u2022\-\u2013])\s*")
_COHORT_LINE = re.compile(
    r"^(?:cohort|arm|part|group|phase|module|substudy)\s*[\w.-]{0,6}(?:\s+only)?\s*:?$",
    re.IGNORECASE,
)


def _fold(text: str) -> str:
    # Collapse whitespace runs to one space and trim; str.split() is several times faster
    # than re.sub(r"\s+", " ", ...) and splits on exactly the characters \s matches.
    # Most lines are folded already, which is quicker to see than to redo: every character
    # str.split() splits on but " " is unprintable (see tests/criteria/test_fast_paths.py).
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _inline_text(token: Token) -> list[str]:
    """Plain text of an inline token, one string per source line.

    markdown-it has already undone backslash escapes (``\\>`` -> ``>``) in the text
    children; emphasis markers are dropped, soft and hard breaks end a line.
    """
    lines: list[str] = [""]
    for child in token.children or ():
        if child.type in ("softbreak", "hardbreak"):
            lines.append("")
        elif child.type in ("text", "code_inline"):
            lines[-1] += child.content
    return [_fold(line) for line in lines if line.strip()]


def _inline_lines(content: str) -> tuple[list[str], bool]:
    """The lines of an inline token's content (see :func:`_inline_text`) and whether it is
    bold only (:func:`_is_bold_only`).

    Without emphasis or entities the inline parser yields the content's own lines, its
    backslash escapes undone and blanks around line breaks trimmed (which _fold does
    anyway), and no emphasis: only other content goes through it.
    """
    if not ("*" in content or "_" in content or "&" in content):
        if "\\" in content:
            content = _ESCAPE.sub(_unescape, content)
        if "\n" not in content:  # most criteria are one line
            return ([_fold(content)] if content.strip() else []), False
        return [_fold(line) for line in content.split("\n") if line.strip()], False
    # The same children the full parser's core "inline" rule would have produced.
    token = _MD.parseInline(content)[0]
    return _inline_text(token), _is_bold_only(token)


def _is_bold_only(token: Token) -> bool:
    kids = [c for c in token.children or () if not (c.type == "text" and not c.content.strip())]
    return (
        len(kids) >= 3
        and kids[0].type in ("strong_open", "em_open")
        and kids[-1].type
        in (
            "strong_close",
            "em_close",
        )
    )


@dataclass(slots=True)
class _Head:
    """What a line says about headings: new section, sub-heading, or leftover text."""

    section: Section | None = None
    heading: str = ""
    rest: str = ""


def _section_head(line: str) -> _Head | None:
    """Recognise a section heading (and any criterion glued to it)."""
    # The pre-check may read the whole line: what it needs is in line[:160] if at all.
    low = line.lower() if line.isascii() else needle_text(line)
    m = _SECTION_HEAD.regex.match(line[:160]) if _SECTION_HEAD.may_match(line, low) else None
    if m:
        m = _SECTION_HEAD.match(line)
    if m:
        pre, rest = m.group("pre"), m.group("rest")
        if not _NOT_HEAD_WORDS.search(pre) and _REST_OK.match(rest):
            kind = m.group("kind").lower()
            section: Section = "exclusion" if kind == "exclusion" else "inclusion"
            heading, _, after = line.partition(":")
            after = _NUMBER_PREFIX.sub("", after.strip(" -\u2013\u2022"))
            # Text after the colon that is itself short heading-ish ("a.") is noise.
            if len(after) <= 3:
                after = ""
            if not rest.strip().startswith(":"):
                heading, after = line, ""
            return _Head(section=section, heading=_fold(heading.strip(" :-")), rest=after)
    if line.endswith(":") and len(line) <= 120:
        if _EXCLUSION_SENTENCE.search(line):
            return _Head(section="exclusion", heading=line.rstrip(":"))
        if _INCLUSION_SENTENCE.search(line):
            return _Head(section="inclusion", heading=line.rstrip(":"))
    return None


def _sub_head(line: str, *, in_list: bool, bold: bool) -> str | None:
    """Recognise a sub-heading ("Cohort A:", "PART B:", "DISEASE CHARACTERISTICS:")."""
    # At most 11 pieces: the words themselves up to ten words, and "more than ten" is
    # all a longer line needs to show (most lines are long criteria).
    words = line.rstrip(":").split(None, 10)
    if not words or len(words) > 10:
        return None

    def upper() -> bool:
        # Only worked out where it decides the answer: most lines are long or end in ":".
        letters = [c for c in line if c.isalpha()]
        return bool(letters) and all(c.isupper() for c in letters) and len(letters) >= 4

    if _COHORT_LINE.match(line):
        return line.rstrip(": ")
    if in_list:
        return line.rstrip(": ") if line.endswith(":") and len(words) <= 8 and upper() else None
    if line.endswith(":") or bold or (len(words) <= 6 and upper()):
        return line.rstrip(": ")
    return None


def _numbered_run(part: str) -> bool:
    """Cheap necessary condition for _NUMBER_RUN: "1." or "1)", "2." or "2)", "3." or "3)"."""
    return (
        ("3." in part or "3)" in part)
        and ("2." in part or "2)" in part)
        and ("1." in part or "1)" in part)
    )


def _explode(line: str) -> list[str]:
    """Split a run-on paragraph at glued section headings and inline numbering."""
    # Both heading patterns need a ":"; most lines have none.
    colon = ":" in line
    if colon:
        parts: list[str] = []
        last = 0
        for m in _INLINE_SECTION.finditer(line):
            if m.start(1) > last:
                parts.append(line[last : m.start(1)])
            last = m.start(1)
        parts.append(line[last:])
    else:
        parts = [line]
    out: list[str] = []
    for part in parts:
        part = part.strip(" -\u2013")
        if colon:
            part = _GLUED_NUMBER.sub(r"\1 ", part)
        # A run-on paragraph numbered "1. ... 2. ... 3. ..." is split at the numbers.
        if _numbered_run(part) and _NUMBER_RUN.search(part):
            out.extend(
                _NUMBER_PREFIX.sub("", p).strip() for p in _INLINE_NUMBER.split(part) if p.strip()
            )
        elif part:
            out.append(part)
    return out


def _block_tokens(text: str) -> list[tuple[str, str]]:
    """``(type, content)`` of markdown-it's block tokens (without paragraph_open/_close,
    which say nothing here)."""
    off = _unused_block_rules(text)
    if "\r" not in text and "\0" not in text:
        # The core "normalize" rule only rewrites "\r" and NUL (it replaces every other
        # line break by itself): without them its two regex passes change nothing.
        off = (*off, "normalize")
    return [
        (tok.type, tok.content)
        for tok in _block_parser(off).parse(text)
        if tok.type not in ("paragraph_open", "paragraph_close")
    ]


def split_criteria(text: str) -> list[CriterionItem]:
    """Split eligibility text into ordered :class:`CriterionItem` s."""
    tokens = _block_tokens(text or "")
    items: list[CriterionItem] = []
    section: Section = "other"
    section_heading = ""
    sub_heading = ""
    list_depth = 0
    # One entry per open list item: has its first paragraph been emitted yet?
    item_started: list[bool] = []

    def emit(line: str, depth: int) -> None:
        # (section, order, depth, heading, text)
        items.append(
            CriterionItem(section, len(items), depth, sub_heading or section_heading, line)
        )

    for idx, (ttype, content) in enumerate(tokens):
        if ttype in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif ttype in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif ttype == "list_item_open":
            item_started.append(False)
        elif ttype == "list_item_close":
            item_started.pop()
        elif ttype == "inline":
            is_heading_tok = idx > 0 and tokens[idx - 1][0] == "heading_open"
            in_list = list_depth > 0
            depth = max(list_depth - 1, 0)
            lines, bold = _inline_lines(content)
            if in_list and len(lines) > 1:
                # A wrapped bullet is one criterion.
                lines = [" ".join(lines)]
            for raw in lines:
                for line in _explode(raw):
                    head = _section_head(line)
                    if head is not None:
                        section = head.section or section
                        section_heading, sub_heading = head.heading, ""
                        if head.rest:
                            emit(head.rest, depth)
                        continue
                    sub = _sub_head(line, in_list=in_list, bold=bold or is_heading_tok)
                    if sub is not None and (is_heading_tok or not in_list or depth == 0):
                        sub_heading = sub
                        continue
                    if in_list and item_started and item_started[-1]:
                        # Later paragraphs of the same list item continue it.
                        last = items[-1] if items else None
                        if last is not None and last.depth == depth:
                            items[-1] = CriterionItem(
                                last.section,
                                last.order,
                                last.depth,
                                last.heading,
                                f"{last.text} {line}",
                            )
                            continue
                    emit(line, depth)
                    if in_list and item_started:
                        item_started[-1] = True
    return items


# Build the parser most listings use at import rather than while reading the first one.
_block_parser((*_unused_block_rules(""), "normalize"))
