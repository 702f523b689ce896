"""Stage and resectability facets (contract section 2, "Stage").

Each criterion is read sentence by sentence. Inclusion (and "other") sentences add the
stages they admit; exclusion sentences name stages to remove. Explicit stage numerals
("stage IIIB-IV") are *strong*; words ("metastatic", "advanced") are *weak*: an exclusion
or a negation ("no metastatic disease") can take a weak stage away, never a strong one,
so that a listing is never narrowed past what its inclusion criteria spell out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from .context import ItemContext
from .model import STAGES, Evidence, FacetValue
from .prefilter import Gated, blank_spans, needle_text
from .split import CriterionItem
from .text import blank_all, fold, sentences
from .vocab import load

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}
_SUBSTAGE = re.compile(r"\b(IV|I{1,3})[A-D]\d?(?:\s*/\s*[A-D]\d?)*")
_SEQ_TOKEN = re.compile(r"\b(?:IV|I{1,3})\b|-|\u2013|\u2014|\bto\b|\bthrough\b")
_RANGED = re.compile(r"-|\u2013|\bto\b|\bthrough\b")
# Necessary for hint_abbrev (r"\b(?:m[A-Z]{2,}|[AE]BC\b|M1\b|T[0-4])|MBC") to match: each
# alternative contains one of these. Unlike hint_abbrev every alternative opens with a
# literal, so re skips straight to those letters instead of trying every position.
_ABBREV_GATE = re.compile(r"m[A-Z]|ABC|EBC|M1|T[0-4]|MBC")


# Every pattern is Gated (see prefilter.py): most sentences contain none of its words,
# and a literal pre-check says so much faster than re.
@dataclass(frozen=True, slots=True)
class _Rx:
    words: tuple[tuple[str, frozenset[str], Gated], ...]
    advanced_not_stage: Gated
    organ: Gated
    other_malignancy: Gated
    treatment_context: Gated
    skip_sentence: Gated
    negation: Gated
    with_or_without: Gated
    recurrent: Gated
    exclusion_qualifier: Gated
    stage_token: Gated
    stage_mention: Gated
    unresectable: Gated
    resectable: Gated
    resectable_bound: Gated
    or_metastatic: Gated
    disease_noun: Gated
    negated_unresectable: Gated
    negated_sentence: Gated
    permissive: Gated
    qualified_locally_advanced: Gated
    conditional_paren: Gated
    paren: Gated
    condition_nodes: Gated
    hint: Gated
    hint_abbrev: Gated


@cache
def _rx() -> _Rx:
    d = load("stages")
    i = re.IGNORECASE

    def c(key: str, flags: int = i) -> Gated:
        return Gated(re.compile(d[key], flags))

    words = tuple(
        (
            w["rule"],
            frozenset(w["stages"]),
            Gated(re.compile(rf"(?<![\w-])(?:{w['pattern']})(?![\w])")),
        )
        for w in d["stage_words"]
    )
    return _Rx(
        words=words,
        advanced_not_stage=c("advanced_not_stage"),
        organ=c("organ_metastases"),
        other_malignancy=c("other_malignancy"),
        treatment_context=c("treatment_context"),
        skip_sentence=c("skip_sentence"),
        negation=Gated(re.compile(rf"(?:{d['negation']})(?:metasta\w*)?", i)),
        with_or_without=c("with_or_without"),
        recurrent=c("recurrent"),
        exclusion_qualifier=c("exclusion_qualifier"),
        stage_token=c("stage_token"),
        stage_mention=c("stage_mention"),
        unresectable=c("unresectable"),
        resectable=c("resectable"),
        resectable_bound=c("resectable_bound"),
        or_metastatic=c("or_metastatic"),
        disease_noun=c("disease_noun"),
        negated_unresectable=Gated(
            re.compile(
                rf"\b(?:no|not|without|absence of)\b[^.;]{{0,60}}?(?:{d['unresectable']})", i
            )
        ),
        negated_sentence=c("negated_sentence"),
        permissive=c("permissive"),
        qualified_locally_advanced=c("qualified_locally_advanced"),
        conditional_paren=c("conditional_paren"),
        paren=Gated(re.compile(r"\([^()]*\)")),
        condition_nodes=Gated(re.compile(r"(?:lymph node|nodal)\s+metasta\w*", i)),
        hint=c("hint", 0),
        hint_abbrev=c("hint_abbrev", 0),
    )


def _parse_seq(seq: str) -> set[str]:
    """Stages in a numeral sequence ("IIIB-IV", "IIA, IIB or IIIA", "IIIC1/C2")."""
    # Substages collapse: drop the letter and digit after each numeral (IIIC1 -> III).
    bare = _SUBSTAGE.sub(r"\1", seq)
    stages: set[str] = set()
    prev: int | None = None
    pending_range = False
    for tok in _SEQ_TOKEN.findall(bare):
        if tok not in _ROMAN:
            pending_range = prev is not None
            continue
        n = _ROMAN[tok]
        if pending_range and prev is not None and prev <= n:
            stages.update(STAGES[k - 1] for k in range(prev, n + 1))
        else:
            stages.add(STAGES[n - 1])
        prev, pending_range = n, False
    return stages


@dataclass(slots=True)
class _Reading:
    """What the sentences of a listing said about stage and resectability."""

    strong: set[str] = field(default_factory=set)
    weak: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    also: set[str] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)
    evidence: dict[Evidence, None] = field(default_factory=dict)
    unreadable: list[Evidence] = field(default_factory=list)
    resect_incl: dict[str, list[Evidence]] = field(default_factory=dict)
    resect_excl: list[Evidence] = field(default_factory=list)
    resect_rules: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Sentence:
    """Stages one sentence admits (strong numerals, weak words by rule) or negates."""

    strong: set[str] = field(default_factory=set)
    weak: dict[str, set[str]] = field(default_factory=dict)
    negated: set[str] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)
    unreadable: bool = False

    def any(self) -> bool:
        return bool(self.strong or self.weak or self.negated)


def _positive(sentence: str) -> _Sentence:
    """Read the stage wording of one (already cleaned) sentence."""
    rx = _rx()
    out = _Sentence()
    text = blank_all(sentence, rx.with_or_without)
    found_token = False
    # Each pattern below is blanked out right after it is read. The spans its finditer
    # found are the ones blank_all would find again: blanked from them, the pattern
    # (and its pre-check) runs once per sentence instead of twice.
    spans: list[tuple[int, int]] = []
    for m in rx.stage_token.finditer(text):
        spans.append(m.span())
        got = _parse_seq(m.group("seq"))
        if got:
            found_token = True
            out.strong |= got
            ranged = _RANGED.search(m.group("seq"))
            out.rules.add("stage.range" if ranged else "stage.explicit")
    if spans:
        text = blank_spans(text, spans)
    negate_all = bool(rx.negated_sentence.match(text))
    if negate_all:
        # "no ... locally advanced inoperable disease" rules out the inoperable kind,
        # not stage III.
        text = blank_all(text, rx.qualified_locally_advanced)
    if rx.negation.test(text):
        out.negated.add("IV")
        out.rules.add("stage.negated")
        text = blank_all(text, rx.negation)
    for rule, stages, regex in rx.words:
        spans = []
        for m in regex.finditer(text):
            spans.append(m.span())
            if rule == "stage.advanced" and rx.advanced_not_stage.match(text, m.start()):
                continue
            out.weak.setdefault(rule, set()).update(stages)
            out.rules.add(rule)
        if spans:
            text = blank_spans(text, spans)
    # TNM or unnumbered stage wording counts as unread only when no numeral was read.
    out.unreadable = rx.stage_mention.test(text) and not found_token
    if negate_all:
        # "No distant metastases, or locally advanced inoperable disease": the
        # negation governs the whole list.
        out.negated = out.negated.union(*out.weak.values())
        out.weak = {}
        out.rules.add("stage.negated")
    both = out.negated.intersection(*out.weak.values()) if out.weak else set()
    if both:
        # "non-metastatic or oligometastatic": admitted and denied at once, no limit.
        out.negated -= both
        out.weak = {k: v - both for k, v in out.weak.items() if v - both}
    admitted = out.strong.union(*out.weak.values())
    # "metastatic or recurrent": the recurrent alternative may be any stage, so the
    # sentence sets no limit unless it already admits both advanced stages.
    if admitted and rx.recurrent.test(sentence) and not {"III", "IV"} <= admitted:
        return _Sentence(rules={"stage.recurrent_alternative"}, unreadable=True)
    return out


_NEEDLES: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in load("stages")["needles"].items()}


def _has(folded: str, key: str) -> bool:
    """Cheap literal pre-check: can pattern ``key`` match at all? (see stages.json)"""
    for n in _NEEDLES[key]:  # noqa: SIM110 (a plain loop: any() is slower)
        if n in folded:
            return True
    return False


def _clean(sentence: str) -> str | None:
    """The sentence with non-stage wording blanked, or None when it says nothing on stage."""
    rx = _rx()
    low = fold(sentence)
    if (_has(low, "other_malignancy") and rx.other_malignancy.test(sentence)) or (
        rx.skip_sentence.test(sentence)
    ):
        return None
    # "resectable pulmonary metastases" describes a site, not the disease.
    text = blank_all(sentence, rx.resectable_bound)
    text = blank_all(text, rx.organ) if _has(low, "organ_metastases") else text
    # "(metastases, if present, should be stable)" describes, it does not admit.
    text = blank_all(text, rx.conditional_paren)
    # "systemic therapy for metastatic disease" is about the therapy's setting.
    return blank_all(text, rx.treatment_context) if _has(low, "treatment_context") else text


def _read_resectability(sentence: str, section: str, ev: Evidence, r: _Reading) -> None:
    rx = _rx()
    # Resectability inside brackets describes a subgroup ("(primarily inoperable T3)").
    text = blank_all(blank_all(sentence, rx.resectable_bound), rx.paren)
    if rx.treatment_context.test(text):
        text = blank_all(text, rx.treatment_context)
    # Resectability describes the disease; "liver infiltration not amenable to surgery"
    # without a disease word is a detail of one option.
    un = rx.disease_noun.test(text) and rx.unresectable.test(text)
    if section == "exclusion":
        if un and not rx.exclusion_qualifier.test(text):
            r.resect_excl.append(ev)
        return
    if un and rx.negated_unresectable.test(text):
        r.resect_incl.setdefault("resectable", []).append(ev)
        r.resect_rules.add("resectability.negated_unresectable")
    elif un and rx.or_metastatic.test(text):
        # "unresectable or metastatic", "stage IV, not amenable to surgery": the word
        # binds to the local disease only.
        r.resect_rules.add("resectability.or_metastatic")
    elif un:
        r.resect_incl.setdefault("unresectable", []).append(ev)
        r.resect_rules.add("resectability.unresectable")
    elif _has(fold(text), "resectable") and rx.resectable.test(blank_all(text, rx.unresectable)):
        r.resect_incl.setdefault("resectable", []).append(ev)
        r.resect_rules.add("resectability.resectable")


def _read_item(item: CriterionItem, r: _Reading, *, resectability: bool) -> None:
    rx = _rx()
    ev = Evidence(item.text, item.section)
    for sentence in sentences(item.text):
        text = _clean(sentence)
        if text is None:
            continue
        if resectability:
            _read_resectability(text, item.section, ev, r)
        if item.section == "exclusion":
            if rx.exclusion_qualifier.test(sentence):
                continue
            read = _positive(blank_all(text, rx.qualified_locally_advanced))
            # "advanced" alone in an exclusion is too vague to remove anything.
            named = read.strong.union(*(v for k, v in read.weak.items() if k != "stage.advanced"))
            if named:
                r.removed |= named
                r.rules.add("stage.exclusion_removal")
                r.evidence[ev] = None
            continue
        read = _positive(text)
        if read.unreadable:
            r.unreadable.append(ev)
        if rx.permissive.test(sentence):
            # "Patients with stage IV disease are also eligible" widens a limit set
            # elsewhere; on its own it sets none.
            r.also |= read.strong.union(*read.weak.values())
            continue
        if read.any():
            r.strong |= read.strong
            r.weak = r.weak.union(*read.weak.values())
            r.removed |= read.negated
            r.rules |= read.rules
            r.evidence[ev] = None


def _read_condition(name: str, r: _Reading) -> None:
    rx = _rx()
    # As for the criteria in read_stage: whatever _positive reads (or blanks before
    # reading) contains a hint or hint_abbrev match, so a name without one, most names,
    # has nothing to read. (On needle_text, which maps the letters IGNORECASE matches to
    # ASCII ones, so that a pattern's match always shows its hint there.)
    low = needle_text(name)
    if not rx.hint.test(low, low) and not (_ABBREV_GATE.search(name) and rx.hint_abbrev.test(name)):
        return
    text = blank_all(name, rx.condition_nodes)
    read = _positive(text)
    if read.any():
        r.strong |= read.strong
        r.weak = r.weak.union(*read.weak.values())
        r.removed |= read.negated
        r.rules.add("stage.condition")
        r.evidence[Evidence(name, "condition")] = None


def read_stage(
    items: Sequence[CriterionItem],
    contexts: Sequence[ItemContext],
    conditions: Sequence[str],
    folded: Sequence[str] | None = None,
) -> tuple[FacetValue, FacetValue]:
    """The ``stages`` and ``resectability`` facets; ``folded``: the items' texts through
    :func:`fold`."""
    rx = _rx()
    r = _Reading()
    if folded is None:
        folded = [fold(i.text) for i in items]
    for item, ctx, low in zip(items, contexts, folded, strict=True):
        # Most criteria (laboratory values, contraception) say nothing about stage.
        # (The pre-checks' lower case, needle_text, of ASCII text is its fold().)
        ascii_low = low if item.text.isascii() else None
        if rx.hint.test(low, ascii_low) or (
            _ABBREV_GATE.search(item.text) and rx.hint_abbrev.test(item.text, ascii_low)
        ):
            # One option or one cohort says nothing about everyone's resectability.
            _read_item(item, r, resectability=not (ctx.alternative or ctx.cohort))
    for name in conditions:
        _read_condition(name, r)

    review = bool(r.unreadable)
    admitted = r.strong | r.weak
    if not admitted:
        stages = set(STAGES) - r.removed if r.removed else set()
    else:
        stages = r.strong | (r.weak - r.removed) | r.also
        if not stages:
            # Everything the inclusion admits is also excluded: a contradiction.
            review = True
    if stages == set(STAGES):
        stages = set()
    value = [s for s in STAGES if s in stages]
    evidence = tuple(r.evidence) if value or review else ()
    evidence += tuple(e for e in r.unreadable if e not in r.evidence)
    stage_facet = FacetValue(
        value=value,
        evidence=evidence if (value or review) else (),
        rule="+".join(sorted(r.rules)) if value or review else "",
        review=review,
    )

    resect: str | None = None
    resect_ev: list[Evidence] = []
    if len(r.resect_incl) == 1:
        resect, resect_ev = next(iter(r.resect_incl.items()))
    elif not r.resect_incl and r.resect_excl:
        resect, resect_ev = "resectable", r.resect_excl
        r.resect_rules.add("resectability.exclusion")
    resect_rules = sorted(x for x in r.resect_rules if resect and x.endswith(_suffix(resect)))
    resect_facet = FacetValue(
        value=resect,
        evidence=tuple(dict.fromkeys(resect_ev)) if resect else (),
        rule="+".join(resect_rules) if resect else "",
        review=False,
    )
    return stage_facet, resect_facet


def _suffix(value: str) -> tuple[str, ...]:
    """Rule-name endings that can produce ``value``."""
    if value == "unresectable":
        return (".unresectable",)
    return (".resectable", ".negated_unresectable", ".exclusion")


# Compile at import rather than while reading the first listing.
_rx()
