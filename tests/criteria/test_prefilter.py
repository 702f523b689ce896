"""prefilter: pre-checks, accelerated and lower-cased patterns never change a match."""

from __future__ import annotations

import json
import os
import random
import re
import string
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from trials.criteria import (
    conditions,
    context,
    extract_facets,
    prior,
    split,
    split_criteria,
    stage,
    vocab,
)
from trials.criteria.prefilter import _SAFE_LETTERS, Gated, _lit, needle_text

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("SCREENER_SHARED_DATA", REPO.parent / "shared" / "data"))

# Letters re.IGNORECASE treats specially (capital I with dot, dotless i, long s, Kelvin).
TRAPS = {"i": ("\u0130", "\u0131"), "s": ("\u017f",), "k": ("\u212a",)}

SENTENCES = [
    "Histologically confirmed unresectable or metastatic melanoma (stage IIIB-IV, AJCC 8th).",
    "No prior systemic therapy for advanced disease; adjuvant therapy is allowed.",
    "Patients must have received at least 2 prior lines of platinum-based chemotherapy.",
    "Prior treatment with anti-PD-1, anti-PD-L1 or anti-CTLA-4 antibodies is not permitted.",
    "Must have progressed on or after treatment with a checkpoint inhibitor (e.g. nivolumab).",
    "Locally advanced or metastatic NSCLC not amenable to curative surgery or radiotherapy.",
    "Known active brain metastases or leptomeningeal disease; treated brain metastases ok.",
    "At least 4 weeks since prior radiotherapy, surgery or chemotherapy (6 weeks for "
    "nitrosoureas or mitomycin C), and recovered from toxicities.",
    "Treatment-naive patients, or patients with no more than 1 prior regimen, are eligible.",
    "History of another malignancy within 3 years, except basal cell carcinoma in situ.",
    "Cohort A only: patients with resectable stage II or III disease (FIGO 2018).",
    "Participants with HCC must have Child-Pugh A liver function; IL-2 and IFN-alpha naive.",
    "Either of the following: ECOG 0-1, or Karnofsky >= 70%; life expectancy > 12 weeks.",
    "One or more of the following categories; subjects in Part 2 should have mCRPC.",
    "Inclusion Criteria: 1. Men or women aged 18 or over 2. Signed consent 3. ECOG 0-1",
    "Early breast cancer, or ABC/MBC after 1-3 lines of endocrine therapy +/- CDK4/6i.",
    "Unresectable, locally advanced (T4 N2 M0) or oligometastatic (M1a) pancreatic PDAC.",
    "Previously untreated, advanced renal cell carcinoma with clear-cell component.",
    "Concurrent use of corticosteroids or other immunosuppressive therapy is prohibited.",
    "Lymph node metastases only; no visceral crisis; bone-only disease is excluded.",
]


def all_gated() -> list[tuple[str, Gated]]:
    found: list[tuple[str, Gated]] = []
    rx = stage._rx()
    for name in type(rx).__slots__:
        value = getattr(rx, name)
        if isinstance(value, Gated):
            found.append((f"stage.{name}", value))
    found += [(f"stage.words.{i}", g) for i, (_, _, g) in enumerate(rx.words)]
    found += [(f"prior.{k}", g) for k, g in prior._rx().items()]
    found += [(f"context.{k}", g) for k, g in context._rx().items()]
    found += [("context.modal", context._MODAL), ("treatments", vocab.treatment_regex())]
    ignore, table, anything = conditions._tables()
    found += [("conditions.ignore", ignore), ("conditions.any", anything)]
    found += [(f"conditions.{c}", g) for c, g in table]
    found += [(f"term.{i}", t.regex) for i, t in enumerate(vocab.treatment_terms())]
    found += [("split.section_head", split._SECTION_HEAD)]
    found += [("split.inline_section", split._INLINE_SECTION)]
    found += [("split.glued_number", split._GLUED_NUMBER)]
    return found


GATED = all_gated()


def variants(text: str, rng: random.Random) -> Iterator[str]:
    yield text
    yield text.upper()
    yield text.title()
    for letter, traps in TRAPS.items():
        for trap in traps:
            yield text.replace(letter, trap).replace(letter.upper(), trap)
            yield "".join(trap if c == letter and rng.random() < 0.5 else c for c in text)


def corpus(gated: Gated) -> list[str]:
    rng = random.Random(0)
    texts = list(SENTENCES)
    for n in gated.strings or ():
        texts += [n, f"x {n}y", f"({n}) and {n}", f"No prior {n}.", f"-{n} {n}-"]
    return [v for t in texts for v in variants(t, rng)]


def blanked(regex: re.Pattern[str], text: str) -> str:
    return regex.sub(lambda m: " " * len(m.group(0)), text)


def same(gated: Gated, text: str) -> None:
    plain = gated.plain
    want = plain.search(text)
    assert gated.test(text) == (want is not None), text
    assert gated.test(text, needle_text(text)) == (want is not None), text
    got = gated.search(text)
    assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups()))
    got, want = gated.match(text), plain.match(text)
    assert (got and got.span()) == (want and want.span()), text
    assert [(m.span(), m.lastgroup) for m in gated.finditer(text)] == [
        (m.span(), m.lastgroup) for m in plain.finditer(text)
    ], text
    assert gated.blank(text) == blanked(plain, text), text
    assert gated.sub(" ", text) == plain.sub(" ", text), text


@pytest.mark.parametrize(("name", "gated"), GATED, ids=[name for name, _ in GATED])
def test_gated_pattern_finds_what_the_plain_one_finds(name: str, gated: Gated) -> None:
    for text in corpus(gated):
        same(gated, text)


def test_most_patterns_get_a_pre_check_and_a_lower_case_twin() -> None:
    gates = [g for _, g in GATED]
    assert sum(g.strings is not None for g in gates) > 0.9 * len(gates)
    assert sum(g._folded is not None for g in gates) > 0.5 * len(gates)
    assert vocab.treatment_regex().regex is not vocab.treatment_regex().plain  # accelerated


def test_patterns_it_cannot_read_run_unchanged() -> None:
    backref = Gated(re.compile(r"(ab)\1"))
    assert backref.test("xabab") and not backref.test("xab")
    # The look-behind leads only the first alternative: no word-start pre-check.
    half = Gated(re.compile(r"(?<![\w-])abc|xyz"))
    assert half.test("axyz") and half.search("axyz").span() == (1, 4)  # type: ignore[union-attr]
    for source in (r"\S+ing", r"(?-i:AB)c", r"\bFOO\B", r"[A-z]x"):
        assert Gated(re.compile(source, re.IGNORECASE))._folded is None, source


def all_chars() -> str:
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)


def test_needle_text_gives_each_case_variant_the_letter_it_matches() -> None:
    """The fact the pre-checks stand on: whatever a pattern character x matches (with or
    without IGNORECASE) becomes _lit(x) in needle_text, one character for one."""
    chars = all_chars()
    lower = needle_text(chars)
    assert len(lower) == len(chars)
    for x in [*string.printable, *sorted(_SAFE_LETTERS)]:
        lit = _lit(x)
        for m in re.finditer(re.escape(x), chars, re.IGNORECASE):
            assert lower[m.start()] == lit, (x, hex(ord(m.group())))


def test_lower_case_is_the_case_insensitive_match_away_from_the_traps() -> None:
    """Where the folded twins run (no trap letters): x matches c case-insensitively
    exactly when c lower-cases to x."""
    chars = all_chars()
    traps = {t for ts in TRAPS.values() for t in ts} - {"\u212a"}
    letters = [*string.ascii_lowercase, *sorted(_SAFE_LETTERS)]
    lowering: dict[str, set[str]] = {x: set() for x in letters}
    for c in chars:
        if c.lower() in lowering:
            lowering[c.lower()].add(c)
    for x in letters:
        matched = {m.group() for m in re.finditer(re.escape(x), chars, re.IGNORECASE)}
        assert matched - traps == lowering[x] - traps, x


@pytest.mark.shared_data
def test_gated_patterns_on_real_criteria() -> None:
    studies = DATA / "ctgov" / "studies"
    if not studies.is_dir():
        pytest.skip(f"{studies} not found")
    rng = random.Random(1)
    texts: list[str] = []
    for path in sorted(studies.glob("NCT*.json"))[::25]:
        section = json.loads(path.read_text(encoding="utf-8"))["protocolSection"]
        criteria = (section.get("eligibilityModule") or {}).get("eligibilityCriteria") or ""
        texts += [item.text for item in split_criteria(criteria)][:15]
    texts = [v for t in texts for v in (t, next(variants(t.replace("i", "\u0130"), rng)))]
    for _, gated in GATED:
        for text in texts:
            same(gated, text)


def listings(rng: random.Random) -> Iterator[tuple[str, list[str]]]:
    parents = ["Either of the following:", "Cohort B:", "Patients must meet all of:"]
    for _ in range(30):
        picked = rng.sample(SENTENCES, 6)
        lines = ["Inclusion Criteria:", ""]
        for i, criterion in enumerate(picked):
            if i == 3:
                lines += ["", "Exclusion Criteria:", ""]
            if rng.random() < 0.4:  # nested under an options or cohort line
                lines += [f"* {rng.choice(parents)}", f"  * {criterion}", f"  * {picked[0]}"]
            else:
                lines.append(f"* {criterion}")
        for variant in variants("\n".join(lines), rng):
            yield variant, [rng.choice(["Metastatic Melanoma", "NSCLC Stage IIIB", "Other"])]


def test_listings_read_the_same_with_plain_patterns() -> None:
    """End to end: the readers, which hand pre-computed lower case to the gates, give the
    same facets as with every Gated pattern run plainly."""
    rng = random.Random(2)
    cases = list(listings(rng))
    fast = [extract_facets(criteria_text=t, conditions=c) for t, c in cases]
    plain: dict[str, Any] = {
        "test": lambda self, s, low=None: self.plain.search(s) is not None,
        "search": lambda self, s, *a: self.plain.search(s, *a),
        "match": lambda self, s, *a: self.plain.match(s, *a),
        "finditer": lambda self, s, *a: self.plain.finditer(s, *a),
        "sub": lambda self, r, s, count=0: self.plain.sub(r, s, count),
        "blank": lambda self, s: blanked(self.plain, s),
    }
    with mock.patch.multiple(Gated, **plain):
        slow = [extract_facets(criteria_text=t, conditions=c) for t, c in cases]
    assert fast == slow


def test_patterns_re_cannot_skip_through_are_led_by_their_first_characters() -> None:
    washout = prior._rx()["washout"]  # "\bwithin ...|\b\d+ days ...|[<≤]...": no skip
    assert washout._folded is not None and washout._folded.pattern.startswith("(?=[")
    # re skips to a literal start itself; a word-start look-behind fails fast already.
    assert not context._MODAL._folded.pattern.startswith("(?=")  # type: ignore[union-attr]
    assert not vocab.treatment_regex().regex.pattern.startswith("(?=[")
