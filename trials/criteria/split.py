"""Split registry eligibility text (CommonMark) into criterion items.

The text is parsed with markdown-it-py; regexes only classify the *lines* the parser
yields (is this a heading? which section does it open?), never the raw Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

Section = Literal["inclusion", "exclusion", "other"]


@dataclass(frozen=True, slots=True)
class CriterionItem:
    """One criterion: a bullet, a numbered entry or a line of free text."""

    section: str
    order: int
    depth: int
    heading: str
    text: str


# Built once: parsing is the hot path of the whole extractor. Rules that cannot occur in
# registry criteria (links, HTML, fences) are off for speed; so is the indented-code
# rule, so that text indented by four spaces stays a criterion instead of a code block.
_MD = MarkdownIt("commonmark").disable(
    [
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
)

_WS = re.compile(r"\s+")

# "Key Inclusion Criteria:", "1) Exclusion Criteria", "Inclusion criteria specific to
# Cohort A1:", "INCLUSION CRITERIA (Parts 1 and 2):", "Inclusion Criteria:1. Men ..."
_SECTION_HEAD = re.compile(
    r"^[\W\d]*?(?:\d+\)\s*)?(?P<pre>(?:[A-Za-z0-9/-]+\s+){0,4}?)"
    r"(?P<kind>inclusion|exclusion|eligibility)\s+criteri[a-z]*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
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
_INLINE_SECTION = re.compile(
    r"(?:\s[-\u2013\u2022]\s*|[.;]\s+)((?:inclusion|exclusion) criteria\s*:)", re.I
)
_GLUED_NUMBER = re.compile(r"(criteria\s*:)(?=\d)", re.I)
_INLINE_NUMBER = re.compile(r"(?<=\s)(?=\d{1,2}[.)]\s+[A-Z(])")
_NUMBER_RUN = re.compile(r"(?:^|\s)1[.)]\s.*\s2[.)]\s.*\s3[.)]\s")
_NUMBER_PREFIX = re.compile(r"^\s*(?:\d{1,2}[.)]|[a-z][.)]|[\u2022\-\u2013])\s*")
_COHORT_LINE = re.compile(
    r"^(?:cohort|arm|part|group|phase|module|substudy)\s*[\w.-]{0,6}(?:\s+only)?\s*:?$",
    re.IGNORECASE,
)


def _fold(text: str) -> str:
    return _WS.sub(" ", text).strip()


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
    m = _SECTION_HEAD.match(line[:160])
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
    words = line.rstrip(":").split()
    if not words or len(words) > 10:
        return None
    letters = [c for c in line if c.isalpha()]
    upper = bool(letters) and all(c.isupper() for c in letters) and len(letters) >= 4
    if _COHORT_LINE.match(line):
        return line.rstrip(": ")
    if in_list:
        return line.rstrip(": ") if upper and line.endswith(":") and len(words) <= 8 else None
    if line.endswith(":") or (upper and len(words) <= 6) or bold:
        return line.rstrip(": ")
    return None


def _explode(line: str) -> list[str]:
    """Split a run-on paragraph at glued section headings and inline numbering."""
    parts: list[str] = []
    last = 0
    for m in _INLINE_SECTION.finditer(line):
        if m.start(1) > last:
            parts.append(line[last : m.start(1)])
        last = m.start(1)
    parts.append(line[last:])
    out: list[str] = []
    for part in parts:
        part = _GLUED_NUMBER.sub(r"\1 ", part.strip(" -\u2013"))
        # A run-on paragraph numbered "1. ... 2. ... 3. ..." is split at the numbers.
        if _NUMBER_RUN.search(part):
            out.extend(
                _NUMBER_PREFIX.sub("", p).strip() for p in _INLINE_NUMBER.split(part) if p.strip()
            )
        elif part:
            out.append(part)
    return out


def split_criteria(text: str) -> list[CriterionItem]:
    """Split eligibility text into ordered :class:`CriterionItem` s."""
    tokens = _MD.parse(text or "")
    items: list[CriterionItem] = []
    section: Section = "other"
    section_heading = ""
    sub_heading = ""
    list_depth = 0
    # One entry per open list item: has its first paragraph been emitted yet?
    item_started: list[bool] = []

    def emit(line: str, depth: int) -> None:
        items.append(
            CriterionItem(
                section=section,
                order=len(items),
                depth=depth,
                heading=sub_heading or section_heading,
                text=line,
            )
        )

    for idx, tok in enumerate(tokens):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif tok.type == "list_item_open":
            item_started.append(False)
        elif tok.type == "list_item_close":
            item_started.pop()
        elif tok.type == "inline":
            parent = tokens[idx - 1] if idx else None
            is_heading_tok = parent is not None and parent.type == "heading_open"
            in_list = list_depth > 0
            depth = max(list_depth - 1, 0)
            lines = _inline_text(tok)
            if in_list and len(lines) > 1:
                # A wrapped bullet is one criterion.
                lines = [" ".join(lines)]
            bold = _is_bold_only(tok)
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
