"""Prior-treatment and washout facets (contract section 2, "Prior treatment").

Sentence by sentence: find treatment-class mentions (vocabulary/treatments.json), then
decide what the sentence does with them. Order matters and goes from "says nothing" to
"limits": time-limited wording is a washout note; concurrent use, reactions to a drug
and "X is allowed" limit nothing; a limit tied to one organ or one drug is not a class
limit; only then are requirements, exclusions and line counts read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from .context import ItemContext
from .model import TREATMENT_CLASSES, Evidence, FacetValue, ancestors
from .prefilter import Gated
from .split import CriterionItem
from .text import blank_all, fold, sentences
from .vocab import load, treatment_regex, treatment_terms

_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}

# Words that may stand right before a class term without narrowing it
# ("prior chemotherapy", "any systemic therapy"); any other word narrows it
# ("adjuvant chemotherapy", "pelvic radiotherapy", "EGFR TKI").
_NEUTRAL = frozenset(
    {
        "prior",
        "previous",
        "previously",
        "any",
        "other",
        "the",
        "a",
        "an",
        "with",
        "of",
        "or",
        "and",
        "to",
        "including",
        "received",
        "receive",
        "had",
        "has",
        "have",
        "systemic",
        "cytotoxic",
        "conventional",
        "standard",
        "no",
        "nor",
        "either",
        "all",
        "by",
        "for",
        "following",
        "after",
        "on",
        "in",
        "from",
        "than",
        "one",
        "two",
        "exposure",
        "treated",
        "treatment",
        "history",
        "use",
        "approved",
    }
)
# "radiation to the pelvis", "surgery in the head and neck", "surgery for obesity".
_ORGAN_BOUND = re.compile(r"^\s*(?:therapy\s+)?(?:to|of|on|at|in|for|involving)\b", re.IGNORECASE)
# The last word of a text, matched at the start of the reversed text: "[\w/+-]+$" would
# be tried from every position of the text, each running on to its end (quadratic).
_LAST_WORD_REVERSED = re.compile(r"[\w/+-]+")
_WORDS = re.compile(r"[\w-]+")
_NAIVE_WORDS = re.compile(r"[\w/]+")
_FEWER = re.compile(r"fewer|less|<(?!=)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Mention:
    """A class term in a sentence. ``head``: no modifier before it ("prior chemotherapy",
    not "adjuvant chemotherapy"); ``generic``: nothing after it narrows it either ("to the
    pelvis", "alone"), so excluding it excludes the whole class."""

    start: int
    end: int
    classes: tuple[str, ...]
    head: bool
    generic: bool
    combine: str


@cache
def _rx() -> dict[str, Gated]:
    # Gated (see prefilter.py): most sentences contain none of a pattern's words, and a
    # literal pre-check says so much faster than re.
    return {
        k: Gated(re.compile(v, re.IGNORECASE))
        for k, v in load("prior").items()
        if isinstance(v, str) and not k.startswith("_")
    }


def _mentions(text: str) -> list[_Mention]:
    """Class mentions in ``text``, in order of appearance."""
    terms = treatment_terms()
    found: list[_Mention] = []
    for m in treatment_regex().finditer(fold(text)):
        term = terms[int(m.lastgroup[1:])] if m.lastgroup else None
        if term is None:
            continue
        head = term.generic and _unmodified(text[: m.start()])
        generic = head and not _narrowed_after(text[m.end() :])
        found.append(_Mention(m.start(), m.end(), term.classes, head, generic, term.combine))
    return found


def _unmodified(before: str) -> bool:
    """No narrowing word (or bracketed aside) right before a class term."""
    before = before.rstrip()
    if before.endswith(")"):
        return False  # "thoracic or abdominal (upper GI) surgery"
    if before and before[-1].isalnum():
        # (An alphanumeric character is a \w, so the match is never empty.)
        last = _LAST_WORD_REVERSED.match(before[::-1])
        return last is not None and last.group()[::-1].lower() in _NEUTRAL
    return True


def _narrowed_after(after: str) -> bool:
    """The words after a class term tie it to a site or a single use."""
    return bool(_ORGAN_BOUND.match(after) or _rx()["narrowing_after"].match(after))


@dataclass(slots=True)
class _Reading:
    required: dict[str, list[Evidence]] = field(default_factory=dict)
    excluded: dict[str, list[Evidence]] = field(default_factory=dict)
    min_lines: list[tuple[int, Evidence]] = field(default_factory=list)
    max_lines: list[tuple[int, Evidence]] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)
    review: list[Evidence] = field(default_factory=list)
    washout: list[dict[str, str]] = field(default_factory=list)
    washout_ev: dict[Evidence, None] = field(default_factory=dict)


@dataclass(slots=True)
class _Found:
    """Limits read from one criterion, before the cohort check decides their fate."""

    required: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)
    min_lines: int | None = None
    max_lines: int | None = None
    rules: set[str] = field(default_factory=set)
    unsure: bool = False

    def any(self) -> bool:
        return bool(
            self.required
            or self.excluded
            or self.min_lines is not None
            or self.max_lines is not None
        )


_NEEDLES: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in load("prior")["needles"].items()}


def _has(text: str, key: str) -> bool:
    """Cheap literal pre-check: can pattern ``key`` match at all? (see prior.json)"""
    # On fold(), not needle_text(): a dotless i or long s in the text keeps a needle out
    # of fold(), and so a rule from running; results depend on that.
    low = fold(text)
    for n in _NEEDLES[key]:  # noqa: SIM110 (a plain loop: any() is slower)
        if n in low:
            return True
    return False


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBERS[token.lower()]


def _generic_lines(word: str | None, tail: str | None) -> bool:
    """Do the counted lines mean *all* systemic lines ("prior lines of therapy")?"""
    generic = _rx()["lines_generic_words"]
    if word and not generic.match(word):
        return False
    return not tail or all(generic.match(w) for w in _WORDS.findall(tail)[1:])


def _read_lines(text: str, section: str, found: _Found) -> None:
    rx = _rx()
    if not _has(text, "lines"):
        return
    for key in ("lines_range", "lines_list"):
        for m in rx[key].finditer(text):
            if section != "exclusion":
                found.min_lines = int(m.group("a"))
                found.rules.add("prior.lines_range")
                if _generic_lines(m.groupdict().get("w"), m.group("tail")):
                    found.max_lines = int(m.group("b"))
            text = blank_all(text, rx[key])
    for m in rx["lines_max"].finditer(text):
        n = _number(m.group("n"))
        if _FEWER.match(m.group(0).strip()):
            n -= 1
        # A cap on one kind of line ("2 lines of endocrine therapy") caps nothing else.
        if section != "exclusion" and _generic_lines(m.group("w"), m.group("tail")):
            found.max_lines = n
            found.rules.add("prior.lines_max")
    if section == "exclusion":
        for m in rx["lines_more_than"].finditer(text):
            if _generic_lines(m.group("w"), m.group("tail")):
                found.max_lines = _number(m.group("n"))
                found.rules.add("prior.lines_max")
    else:
        # A floor on one kind of line is still a floor on all lines.
        for m in rx["lines_min"].finditer(text):
            found.min_lines = _number(m.group("n") or m.group("n2"))
            found.rules.add("prior.lines_min")


def _negated_classes(mentions: list[_Mention], scoped: bool, found: _Found, exc: str) -> None:
    """Apply "no prior X" to the classes named; a scope or exception narrows it."""
    rx = _rx()
    systemic = [m for m in mentions if "systemic_therapy" in m.classes and m.head]
    if scoped or exc:
        # "no prior systemic therapy for metastatic disease (adjuvant allowed)": a line
        # limit, never a class exclusion.
        if systemic and (not exc or rx["exception_adjuvant"].test(exc)):
            found.max_lines = 0
            found.rules.add("prior.no_prior_systemic_for_setting")
        elif exc and mentions:
            found.unsure = found.unsure or bool(systemic)
        return
    for m in mentions:
        if m.generic:
            found.excluded.update(m.classes)
            found.rules.add("prior.excluded")
            if "systemic_therapy" in m.classes:
                found.max_lines = 0


def _read_naive(main: str, found: _Found) -> None:
    """ "treatment-naive" caps lines at 0; "anti-PD-1 naive" excludes that class."""
    rx = _rx()
    naive = rx["naive"].search(main)
    if not naive:
        return
    before = main[max(0, naive.start() - 40) : naive.start()]
    near = [m for m in _mentions(before) if m.generic and m.end >= len(before.rstrip(" -")) - 1]
    words = _NAIVE_WORDS.findall(before)[-2:]
    last = words[-1] if words else ""
    # "alpelisib treatment naive" is about one drug.
    drug_before = len(words) == 2 and rx["drug_word"].test(words[0].lower())
    if near:
        found.excluded.update(c for m in near for c in m.classes)
        found.rules.add("prior.excluded_naive")
    elif "untreated" in naive.group(0).lower() or (
        rx["naive_generic_before"].match(last) and not drug_before
    ):
        found.max_lines = 0
        found.rules.add("prior.treatment_naive")


def _read_required(main: str, mentions: list[_Mention], found: _Found) -> None:
    """Classes named after "refractory to", "progressed on", "must have received"..."""
    rx = _rx()
    if rx["conditional"].test(main) or rx["alternative_or"].test(main):
        # "if they received X", "refractory to X or who lack ...": nobody must have had X.
        return
    for trig in rx["required_trigger"].finditer(main):
        if rx["count_limit"].match(main[trig.end() :]):
            continue  # "must have had =< 4 prior chemotherapy regimens"
        for m in mentions:
            if m.start < trig.start():
                continue
            # Surgery is never "required": the resectability facet carries it.
            if m.combine == "all" and "surgery" not in m.classes:
                found.required.update(m.classes)
                found.rules.add("prior.required")
            elif m.combine == "any":
                found.unsure = True  # "progressed on immunotherapy": which class?


def _read_sentence(sentence: str, section: str, found: _Found, washout: list[str]) -> None:
    """Read one sentence of a criterion into ``found`` (limits) and ``washout`` (notes)."""
    rx = _rx()
    text = blank_all(sentence, rx["examples_paren"])
    # "radiotherapy (RT) alone": the abbreviation repeats the term before it.
    text = blank_all(text, rx["abbrev_paren"])
    text = blank_all(text, rx["with_or_without"])
    main, exc = text, ""
    exc_match = rx["exception"].search(text)
    if exc_match:
        main, exc = text[: exc_match.start()], text[exc_match.end() :]
    mentions = _mentions(main)
    if not mentions and not rx["hint"].test(main):
        # Nothing below can act: with no class named, a time limit notes nothing, and
        # every line-count and "naive" pattern contains a hint word (lines?, regimens?,
        # naive, untreated).
        return
    timed = _has(main, "washout") and rx["washout"].test(main)
    not_allowed = rx["not_allowed"].test(main)
    if timed and (section == "exclusion" or not_allowed or not rx["required_trigger"].test(main)):
        # A time limit is a note, never an exclusion.
        washout.extend(c for m in mentions for c in m.classes if m.combine == "all")
        return
    _read_lines(main, section, found)
    if section != "exclusion":
        _read_naive(main, found)
    if not mentions or rx["not_progressed"].test(main):
        # "must not have progressed on X" neither requires nor excludes X.
        return
    if rx["allowed"].test(main) and not not_allowed:
        return  # "prior X is allowed"
    scoped = rx["scope"].test(main)
    side_issue = rx["concurrent"].test(main) or rx["reaction"].test(main)
    if section == "exclusion":
        # Reactions to, progression on, or current use of X exclude nobody for having had X.
        response = rx["response"].test(blank_all(main, rx["scope"]))
        if not (side_issue or response) and rx["exclusion_trigger"].test(main):
            _negated_classes(mentions, scoped, found, exc)
        return
    if rx["negated_trigger"].test(main) or (not_allowed and rx["exclusion_trigger"].test(main)):
        if not side_issue:
            _negated_classes(mentions, scoped, found, exc)
        return
    _read_required(main, mentions, found)


def read_prior(
    items: Sequence[CriterionItem],
    contexts: Sequence[ItemContext],
    folded_texts: Sequence[str] | None = None,
) -> tuple[FacetValue, FacetValue]:
    """The ``prior_treatment`` and ``washout`` facets; ``folded_texts``: the items' texts
    through :func:`fold`."""
    r = _Reading()
    hint = _rx()["hint"]
    terms = treatment_regex()
    if folded_texts is None:
        folded_texts = [fold(i.text) for i in items]
    for item, ctx, folded in zip(items, contexts, folded_texts, strict=True):
        # Most criteria (laboratory values, contraception) name no treatment at all.
        # (The pre-checks' lower case, needle_text, of ASCII text is its fold().)
        low = folded if item.text.isascii() else None
        if not (terms.test(folded) or hint.test(folded, low)):
            continue
        ev = Evidence(item.text, item.section)
        found = _Found()
        washout: list[str] = []
        for sentence in sentences(item.text):
            _read_sentence(sentence, item.section, found, washout)
        for cls in dict.fromkeys(washout):
            r.washout.append({"class": cls, "text": item.text, "section": item.section})
            r.washout_ev[ev] = None
        if found.max_lines == 0 and found.min_lines:
            # "treatment-naive or progressed on 1+ lines": alternatives, no limit.
            r.review.append(ev)
            continue
        if (ctx.cohort or ctx.alternative) and found.any():
            # A cohort's limit does not hold for everyone the listing admits.
            r.review.append(ev)
            r.rules.add("prior.cohort_specific")
            continue
        if found.unsure:
            r.review.append(ev)
        if not found.any():
            continue
        r.rules |= found.rules
        for cls in found.required:
            r.required.setdefault(cls, []).append(ev)
        for cls in found.excluded:
            r.excluded.setdefault(cls, []).append(ev)
        if found.min_lines is not None:
            r.min_lines.append((found.min_lines, ev))
        if found.max_lines is not None:
            r.max_lines.append((found.max_lines, ev))
    return _prior_facet(r), _washout_facet(r)


def _prior_facet(r: _Reading) -> FacetValue:
    # A required class implied by a required subclass adds nothing (platinum implies
    # chemotherapy); an excluded class's subclasses are excluded with it.
    required = {c for c in r.required if not any(c in ancestors(o) for o in r.required)}
    excluded = set(r.excluded)
    conflict = required & {c for e in excluded for c in (e, *ancestors(e))} | (required & excluded)
    evidence: dict[Evidence, None] = {}
    # In vocabulary order: iterating the set would order the quotes by string hash, which
    # differs from process to process.
    for cls in (c for c in TREATMENT_CLASSES if c in required or c in excluded):
        evidence.update(dict.fromkeys(r.required.get(cls, []) + r.excluded.get(cls, [])))
    min_lines = max((n for n, _ in r.min_lines), default=None)
    max_lines = min((n for n, _ in r.max_lines), default=None)
    evidence.update(dict.fromkeys(e for _, e in r.min_lines + r.max_lines))
    review = bool(r.review) or bool(conflict)
    if min_lines is not None and max_lines is not None and min_lines > max_lines:
        min_lines = max_lines = None
        review = True
    if conflict:
        required -= conflict
    value = {
        "required": [c for c in TREATMENT_CLASSES if c in required],
        "excluded": [c for c in TREATMENT_CLASSES if c in excluded],
        "min_prior_lines": min_lines,
        "max_prior_lines": max_lines,
    }
    if review:
        evidence.update(dict.fromkeys(r.review))
    return FacetValue(
        value=value,
        evidence=tuple(evidence),
        rule="+".join(sorted(r.rules)) if evidence else "",
        review=review,
    )


def _washout_facet(r: _Reading) -> FacetValue:
    return FacetValue(
        value=r.washout,
        evidence=tuple(r.washout_ev),
        rule="washout.time_limited" if r.washout else "",
        review=False,
    )


# Compile at import rather than while reading the first listing (the treatment terms are
# otherwise first needed part-way through one).
_rx()
treatment_terms()
