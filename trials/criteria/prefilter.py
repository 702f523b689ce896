"""Faster ways to run the rules' regexes that find exactly what the regexes find.

Most criteria contain none of the wording a rule looks for, and Python's ``re`` is slow
at saying so for a long alternation (it tries every alternative at every position, and
cannot rule out a case-insensitive alternative by its first character). :class:`Gated`
wraps a compiled pattern and, from the parsed pattern:

* reads literal strings that every match must contain and checks for them with ``in``
  (done in C) before running the pattern: a gate never decides a match, it only skips
  searches that cannot succeed;
* for a case-insensitive pattern, compiles a lower-cased case-sensitive twin that finds
  the same spans in lower-cased text (used when only the spans or a yes/no are needed);
* for a pattern that starts at word starts, builds its literal prefixes in as a
  look-ahead trie.

Whatever it cannot analyse it leaves as it is (the plain pattern runs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser as _p  # type: ignore[attr-defined]
from typing import Any

# Longest literal read from a pattern; longer literals make no better pre-check.
_MAX_LEN = 8
# Give up on a part of a pattern (no gate from it) rather than enumerate more literal
# strings than this; a word-start gate may list more (one per term of a vocabulary).
_MAX_STRINGS = 200
_MAX_PREFIXES = 2000
# Classes up to this size are read as alternatives ("[- ]", "[iï]", "[0-4]").
_MAX_CLASS = 5
# Above this many needles one regex over them (see _trie) beats a loop of ``in`` tests.
_MAX_LOOP = 24

# needle_text is the lower case, except for the three letters that re.IGNORECASE matches
# to an ASCII letter but whose lower case is not that letter: capital I with dot (U+0130,
# lower case "i" plus a combining dot), dotless i (U+0131) and long s (U+017F); the Kelvin
# sign lowers to "k" anyway. In that text every character that a pattern character x
# matches, with or without IGNORECASE, becomes _lit(x), one character for one (checked
# in tests/criteria/test_prefilter.py).
# Non-ASCII letters (lower case) whose case variants all lower-case to them; others (the
# micro sign also matches Greek mu, sigma depends on context) end a literal run.
_SAFE_LETTERS = frozenset("ßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ")


@lru_cache(maxsize=1024)
def needle_text(text: str) -> str:
    """``text`` as gates see it: lower case, the IGNORECASE traps mapped (see above).

    Cached: the rules pre-check many patterns against the same sentence.
    """
    if text.isascii():
        return text.lower()
    # str.replace is much faster than str.translate; the traps are rare.
    low = text.replace("\u0130", "i").lower() if "\u0130" in text else text.lower()
    if "\u0131" in low:
        low = low.replace("\u0131", "i")
    if "\u017f" in low:
        low = low.replace("\u017f", "s")
    return low


def _lit(ch: str) -> str | None:
    """What a pattern character becomes in :func:`needle_text`; None if it has no one
    form there (it then ends the literal run)."""
    if ch.isascii():
        return ch.lower()
    low = ch.lower()
    if low in _SAFE_LETTERS:
        return low
    if not ch.isalpha() and low == ch == ch.upper():
        return ch  # caseless: dashes, bullets, "≥"
    return None


@lru_cache(maxsize=8)
def _parsed(pattern: str, flags: int) -> Any:
    """The parse tree's top sequence (read, never changed; several steps of one Gated
    read the same pattern)."""
    return _p.parse(pattern, flags).data


_Frames = tuple[tuple[Any, int], ...]
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT)


def _class_chars(items: list[tuple[Any, Any]]) -> list[str] | None:
    """The characters (as _lit gives them) a small character class stands for, or None."""
    chars: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            chars.append(chr(av))
        elif op is _c.RANGE and av[1] - av[0] < _MAX_CLASS:
            chars.extend(chr(x) for x in range(av[0], av[1] + 1))
        else:
            return None  # NEGATE, CATEGORY (\w, \s), big ranges
    out: list[str] = []
    for ch in chars:
        lit = _lit(ch)
        if lit is None:
            return None
        if lit not in out:
            out.append(lit)
    return out if len(out) <= _MAX_CLASS else None


def _walk(frames: _Frames, acc: str) -> Iterator[str]:
    """Literal strings that a match of ``frames`` (a stack of pattern positions) starts
    with; a string stops where the pattern stops being literal."""
    if len(acc) >= _MAX_LEN or not frames:
        yield acc
        return
    data, i = frames[0]
    if i == len(data):
        yield from _walk(frames[1:], acc)
        return
    op, av = data[i]
    rest = ((data, i + 1), *frames[1:])
    if op is _c.LITERAL:
        ch = _lit(chr(av))
        if ch is None:
            yield acc
            return
        yield from _walk(rest, acc + ch)
    elif op is _c.IN:
        chars = _class_chars(av)
        if chars is None:
            yield acc
            return
        for ch in chars:
            yield from _walk(rest, acc + ch)
    elif op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        yield from _walk(rest, acc)  # zero width: the literal run goes on
    elif op is _c.SUBPATTERN:
        yield from _walk(((av[3].data, 0), *rest), acc)
    elif op is _c.ATOMIC_GROUP:
        yield from _walk(((av.data, 0), *rest), acc)
    elif op is _c.BRANCH:
        for branch in av[1]:
            yield from _walk(((branch.data, 0), *rest), acc)
    elif op in _REPEATS:
        low, high, item = av
        if low == 0:
            yield from _walk(rest, acc)
        if high == 1:
            yield from _walk(((item.data, 0), *rest), acc)
        elif high > 1:
            # One or more repeats: what follows the first is not read.
            yield from _walk(((item.data, 0),), acc)
    else:
        yield acc  # not a literal (\w, ., a back-reference...): the run ends


def _prefixes(data: Any, limit: int = _MAX_STRINGS) -> frozenset[str] | None:
    """Literal strings one of which starts every match of ``data``; None if unknown."""
    found: set[str] = set()
    for n, s in enumerate(_walk(((data, 0),), "")):
        if not s or n > limit:
            return None
        found.add(s)
    # A string that extends another one adds nothing to a "starts with" check. In sorted
    # order such a string comes after the shorter one with only its extensions between.
    kept: list[str] = []
    for s in sorted(found):
        if not (kept and s.startswith(kept[-1])):
            kept.append(s)
    return frozenset(kept)


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective needle set: longer shortest needle, then fewer needles."""
    if a is None:
        return b
    if b is None:
        return a
    key_a = (min(map(len, a)), -len(a))
    key_b = (min(map(len, b)), -len(b))
    return a if key_a >= key_b else b


def _needles(data: Any) -> frozenset[str] | None:
    """Literal strings one of which every match of ``data`` contains; None if unknown."""
    best: frozenset[str] | None = None
    for i in range(len(data)):
        op, av = data[i]
        # A match contains a match of every suffix of the sequence, so a literal that
        # starts every match of data[i:] is a needle. (Mid-way through a literal run the
        # strings are only shorter: not worth the time.)
        if i == 0 or data[i - 1][0] is not _c.LITERAL:
            best = _better(best, _prefixes(data[i:]))
        inner: frozenset[str] | None = None
        if op is _c.SUBPATTERN:
            inner = _needles(av[3].data)
        elif op is _c.ATOMIC_GROUP:
            inner = _needles(av.data)
        elif op is _c.BRANCH:
            union: set[str] = set()
            for branch in av[1]:
                got = _needles(branch.data)
                if got is None:
                    union = set()
                    break
                union |= got
            if union and len(union) <= _MAX_STRINGS:
                # Containing a longer needle means containing any needle inside it.
                inner = frozenset(s for s in union if not any(o != s and o in s for o in union))
        elif op in _REPEATS and av[0] >= 1:
            inner = _needles(av[2].data)
        best = _better(best, inner)
    return best


def _trie(strings: Iterable[str]) -> str:
    """A regex matching any of ``strings`` (none a prefix of another), as a trie.

    re tries the alternatives of a group one by one; factoring common prefixes makes it
    try only the few that share the character at hand.
    """
    groups: dict[str, list[str]] = {}
    for s in sorted(strings):
        if not s:
            return ""  # a string ends here: the match is complete
        groups.setdefault(s[0], []).append(s[1:])
    alts = [re.escape(ch) + _trie(rest) for ch, rest in groups.items()]
    return alts[0] if len(alts) == 1 else f"(?:{'|'.join(alts)})"


_ANCHOR = r"(?<![\w-])"
_ANCHOR_OP = _p.parse(_ANCHOR).data[0]


def _opens_with_anchor(regex: re.Pattern[str], data: Any) -> bool:
    """The pattern is ``(?<![\\w-])`` followed by the rest, as a sequence: the look-behind
    holds wherever any match starts (not so for ``(?<![\\w-])a|b``)."""
    return (
        regex.pattern.startswith(_ANCHOR)
        and bool(data)
        and _shape(data[:1], False) == _shape([_ANCHOR_OP], False)
    )


def _gate_strings(regex: re.Pattern[str]) -> tuple[bool, tuple[str, ...] | None]:
    r"""``(word_start, strings)``: literal strings (in needle_text form) one of which every
    match contains, or, for a pattern that opens with ``(?<![\w-])``, starts with at a
    position that look-behind admits; None when the pattern gives no such strings."""
    try:
        data = _parsed(regex.pattern, regex.flags)
        if _opens_with_anchor(regex, data):
            found = _prefixes(data, _MAX_PREFIXES)
            if found:
                return True, tuple(sorted(found))
        found = _needles(data)
    except Exception:  # a construct this module does not know: no gate
        found = None
    return False, tuple(sorted(found)) if found else None


def _scoped_flags(data: Any) -> bool:
    """Does the pattern switch flags part-way (``(?i:...)``, ``(?-i:...)``)?"""
    for op, av in data:
        if op is _c.SUBPATTERN:
            if av[1] or av[2] or _scoped_flags(av[3].data):
                return True
        elif op is _c.BRANCH:
            if any(_scoped_flags(b.data) for b in av[1]):
                return True
        elif op in _REPEATS:
            if _scoped_flags(av[2].data):
                return True
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            if _scoped_flags(av[1].data):
                return True
        elif op is _c.ATOMIC_GROUP and _scoped_flags(av.data):
            return True
    return False


def _literals_as_read(data: Any) -> bool:
    """Does _lit leave every literal character of the pattern as it is (or end the run
    there)? Then the prefixes read from a case-sensitive pattern are its own text."""
    for op, av in data:
        if op is _c.LITERAL:
            chars = [chr(av)]
        elif op is _c.IN:
            chars = []
            for o, a in av:
                if o is _c.LITERAL:
                    chars.append(chr(a))
                elif o is _c.RANGE and a[1] - a[0] < _MAX_CLASS:
                    chars.extend(chr(x) for x in range(a[0], a[1] + 1))
        elif op is _c.SUBPATTERN:
            if not _literals_as_read(av[3].data):
                return False
            continue
        elif op is _c.BRANCH:
            if not all(_literals_as_read(b.data) for b in av[1]):
                return False
            continue
        elif op in _REPEATS:
            if not _literals_as_read(av[2].data):
                return False
            continue
        elif op is _c.ATOMIC_GROUP:
            if not _literals_as_read(av.data):
                return False
            continue
        else:
            continue  # zero width, categories...: _walk reads no literal from them
        if any(_lit(ch) not in (None, ch) for ch in chars):
            return False
    return True


def _accelerated(regex: re.Pattern[str], prefixes: tuple[str, ...]) -> re.Pattern[str] | None:
    """``(?<![\\w-])(?=<prefixes as a trie>)rest`` for ``(?<![\\w-])rest``: the same
    matches (every match starts with a prefix), but at each word start re first checks
    the trie, where a character decides between few alternatives, instead of entering
    every alternative of the pattern. None where the prefixes (read in lower case) would
    not be matched as the pattern matches them: a case-sensitive pattern must have no
    upper-case literals, and neither may switch flags part-way."""
    try:
        data = _parsed(regex.pattern, regex.flags)
        if _scoped_flags(data):
            return None
        if not regex.flags & re.IGNORECASE and not _literals_as_read(data):
            return None
        rest = regex.pattern[len(_ANCHOR) :]
        return re.compile(f"{_ANCHOR}(?={_trie(prefixes)}){rest}", regex.flags)
    except (ValueError, re.error):
        return None


# Most characters are letters: a look-ahead for a set with \w or \s in it, or with
# more characters than this, rules out too few positions to pay for itself.
_MAX_LEAD = 30


def _first_chars(data: Any) -> tuple[set[tuple[Any, Any]], bool] | None:
    """``(items, empty)``: class items (LITERAL, RANGE, CATEGORY) one of which the first
    character of every non-empty match of ``data`` matches, and whether ``data`` can match
    the empty string; None when the pattern does not say (".", a negated class...)."""
    items: set[tuple[Any, Any]] = set()
    for op, av in data:
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # zero width: the first character comes after it
        if op is _c.LITERAL:
            items.add((op, av))
            return items, False
        if op is _c.IN:
            for o, a in av:
                if o not in (_c.LITERAL, _c.RANGE, _c.CATEGORY):
                    return None  # NEGATE and the like
                items.add((o, a))
            return items, False
        if op is _c.SUBPATTERN:
            subs = [av[3].data]
        elif op is _c.ATOMIC_GROUP:
            subs = [av.data]
        elif op is _c.BRANCH:
            subs = [b.data for b in av[1]]
        elif op in _REPEATS:
            subs = [av[2].data]
        else:
            return None  # ANY, NOT_LITERAL, back-references...
        empty = False
        for sub in subs:
            got = _first_chars(sub)
            if got is None:
                return None
            items |= got[0]
            empty = empty or got[1]
        if op in _REPEATS and av[0] == 0:
            empty = True
        if not empty:
            return items, False
    return items, True


def _sre_skips(data: Any, ignorecase: bool = False) -> bool:
    """Does re itself skip to where a match can start? (It does for a pattern that opens
    with a literal, a class or alternatives that each open with a literal, and it tries
    a "^" pattern at the start only.) A look-ahead in front would undo that.

    ``ignorecase``: the pattern is case-insensitive, and re then skips by the opening
    characters only where none of them has a case ("(", "<", digits)."""
    while data and data[0][0] is _c.SUBPATTERN and not (data[0][1][1] or data[0][1][2]):
        data = data[0][1][3].data
    if not data:
        return False
    op, av = data[0]
    if op is _c.AT:
        return av in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING)

    def opening(op: Any, av: Any) -> bool:
        return op is _c.LITERAL and not (ignorecase and _cased(av))

    if op is _c.IN:
        return not ignorecase or all(opening(o, a) for o, a in av)
    if op is _c.BRANCH:
        return all(b.data and opening(*b.data[0]) for b in av[1])
    return opening(op, av)


def _cased(code: int) -> bool:
    """Has the character a case (re.IGNORECASE matches it to some other character)?"""
    ch = chr(code)
    return ch.lower() != ch or ch.upper() != ch or ch.casefold() != ch


def _led(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    """``(?=[first characters])(?:pattern)``: the same matches, but re rejects a position
    where no match can start with one class test instead of entering every alternative
    there ("\\bwithin|\\b\\d+ days|..." tries each at every character). None where that
    does not pay: unknown or unselective first characters, a pattern re already skips
    through or one that starts at word starts, flags switched part-way.

    A case-insensitive pattern keeps its flag, under which the class matches each of its
    characters in every case the pattern's own character does (the folded twin serves
    test and blank, but search, match, finditer and sub run this one on the text)."""
    if regex.pattern.startswith(_ANCHOR):
        # Its look-behind already fails fast inside words, where most positions are,
        # and a class test in front only adds to the word starts (measured slower).
        return None
    try:
        data = _parsed(regex.pattern, regex.flags)
        if _sre_skips(data, bool(regex.flags & re.IGNORECASE)) or _scoped_flags(data):
            return None
        got = _first_chars(data)
        if got is None or got[1]:
            return None
        parts: list[str] = []
        width = 0
        for op, av in sorted(got[0], key=repr):
            if op is _c.LITERAL:
                parts.append(re.escape(chr(av)))
                width += 1
            elif op is _c.RANGE:
                parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
                width += av[1] - av[0] + 1
            elif av is _c.CATEGORY_DIGIT:
                parts.append(r"\d")
                width += 10
            else:
                return None  # \w, \s, \D...: nearly every position
        if width > _MAX_LEAD:
            return None
        return re.compile(f"(?=[{''.join(parts)}])(?:{regex.pattern})", regex.flags)
    except (ValueError, re.error):
        return None


def _shape(data: Any, fold: bool) -> tuple[Any, ...]:
    """The parse tree as nested tuples; with ``fold``, literal characters lower-cased
    (raising ValueError where lower-casing would not keep the pattern's meaning)."""

    def char(v: int) -> int:
        if not fold:
            return v
        ch = chr(v)
        if ch.isascii() or ch.lower() in _SAFE_LETTERS:
            return ord(ch.lower())
        if not ch.isalpha() and ch.lower() == ch == ch.upper():
            return v  # caseless: dashes, bullets, "≥"
        raise ValueError(ch)

    def one(op: Any, av: Any) -> Any:
        if op in (_c.LITERAL, _c.NOT_LITERAL):
            return (op, char(av))
        if op is _c.RANGE:
            lo, hi = av
            one_case = "A" <= chr(lo) <= chr(hi) <= "Z" or "a" <= chr(lo) <= chr(hi) <= "z"
            if (
                fold
                and not one_case
                and (
                    hi - lo > 255
                    or any(chr(x).lower() != chr(x).upper() for x in range(lo, hi + 1))
                )
            ):
                raise ValueError("range across cases")
            return (op, (char(lo), char(hi)))
        if op is _c.SUBPATTERN:
            group, add, delete, sub = av
            if fold and delete & _c.SRE_FLAG_IGNORECASE:
                raise ValueError("case-sensitive part")
            return (op, (group, add, delete, _shape(sub.data, fold)))
        if op is _c.BRANCH:
            return (op, tuple(_shape(b.data, fold) for b in av[1]))
        if op in _REPEATS:
            return (op, (av[0], av[1], _shape(av[2].data, fold)))
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            return (op, (av[0], _shape(av[1].data, fold)))
        if op is _c.ATOMIC_GROUP:
            return (op, _shape(av.data, fold))
        if op is _c.IN:
            return (op, tuple(one(o, a) for o, a in av))
        if op is _c.GROUPREF_EXISTS:
            raise ValueError("conditional group")
        return (op, av)  # AT, CATEGORY, ANY, GROUPREF, NEGATE

    return tuple(one(op, av) for op, av in data)


def _folded_twin(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    """For an IGNORECASE pattern, the same pattern lower-cased and case-sensitive, to run
    on lower-cased text: the same matches at the same places, many times faster (re
    cannot skip ahead on case-insensitive literals). None when lower-casing the source
    would change its meaning (\\S, \\W, (?-i:...), upper-case escapes...), which the
    parse trees show."""
    if not regex.flags & re.IGNORECASE:
        return None
    try:
        flags = regex.flags & ~re.IGNORECASE
        low = regex.pattern.lower()
        if _shape(_p.parse(low, flags).data, False) != _shape(
            _parsed(regex.pattern, regex.flags), True
        ):
            return None
        return re.compile(low, flags)
    except (ValueError, re.error):
        return None


def _trap_free(text: str) -> bool:
    """No character that re.IGNORECASE matches differently from its lower case."""
    return text.isascii() or not ("\u0130" in text or "\u0131" in text or "\u017f" in text)


def blank_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each of the (ordered, disjoint) ``spans`` replaced by as many spaces:
    what ``regex.sub`` with spaces gives when ``spans`` are its matches' spans."""
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces.append(text[last:start])
        pieces.append(" " * (end - start))
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


class Gated:
    """A compiled pattern behind a cheap pre-check: a stand-in for ``re.Pattern`` in the
    methods the rules use (search, match, finditer, sub), plus :meth:`test` and
    :meth:`blank`, which may also run the pattern's folded twin.

    The pre-check looks for the literal strings of :func:`_gate_strings` in
    :func:`needle_text` of the text (a trie regex for many strings, ``in`` for a few);
    when none is there the pattern cannot match and is not run. A word-start pattern is
    rather compiled with its prefixes built in (see :func:`_accelerated`).
    """

    __slots__ = (
        "_few",
        "_folded",
        "_many",
        "flags",
        "pattern",
        "plain",
        "regex",
        "strings",
    )

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.plain = regex  # as given (tests compare against it)
        word_start, strings = _gate_strings(regex)
        self.strings = strings
        self._few: tuple[str, ...] | None = None
        self._many: re.Pattern[str] | None = None
        fast = _accelerated(regex, strings) if word_start and strings else None
        if fast is not None:
            regex = fast
        if strings and len(strings) <= _MAX_LOOP:
            self._few = strings  # (a word-start pattern's prefixes at least occur)
        elif strings and fast is None:
            # (With the prefixes built in, the pattern is itself as quick as this.)
            self._many = re.compile(_trie(strings))
        self.regex = _led(regex) or regex
        self.pattern = regex.pattern
        self.flags = regex.flags
        folded = _folded_twin(regex)
        self._folded = folded and (_led(folded) or folded)

    def __repr__(self) -> str:
        return f"Gated({self.plain!r})"

    def may_match(self, text: str, low: str | None = None) -> bool:
        """False only when the pattern surely finds nothing in ``text`` (or any part of it).
        ``low``: needle_text(text), when the caller has it."""
        if self._many is not None:
            return self._many.search(needle_text(text) if low is None else low) is not None
        if self._few is not None:
            if low is None:
                low = needle_text(text)
            # A plain loop: any() over a generator is about twice as slow here.
            for n in self._few:  # noqa: SIM110
                if n in low:
                    return True
            return False
        return True

    def search(self, string: str, *args: int) -> re.Match[str] | None:
        return self.regex.search(string, *args) if self.may_match(string) else None

    def match(self, string: str, *args: int) -> re.Match[str] | None:
        return self.regex.match(string, *args) if self.may_match(string) else None

    def finditer(self, string: str, *args: int) -> Iterator[re.Match[str]]:
        return self.regex.finditer(string, *args) if self.may_match(string) else iter(())

    def sub(self, repl: Any, string: str, count: int = 0) -> str:
        return self.regex.sub(repl, string, count) if self.may_match(string) else string

    def test(self, string: str, low: str | None = None) -> bool:
        """``bool(self.search(string))``; ``low``: needle_text(string), if known.

        (may_match written out: this runs for every criterion, many times.)
        """
        few = self._few
        if few is not None:
            if low is None:
                low = needle_text(string)
            for n in few:
                if n in low:
                    break
            else:
                return False
        elif self._many is not None:
            if low is None:
                low = needle_text(string)
            if self._many.search(low) is None:
                return False
        folded = self._folded
        # (isascii() first: _trap_free's own first test, without the call for most texts.)
        if folded is not None and (string.isascii() or _trap_free(string)):
            # needle_text of trap-free text is its lower case, character for character.
            return folded.search(needle_text(string) if low is None else low) is not None
        return self.regex.search(string) is not None

    def blank(self, string: str) -> str:
        """``string`` with every match replaced by as many spaces."""
        low = needle_text(string)
        if not self.may_match(string, low):
            return string
        if self._folded is not None and (string.isascii() or _trap_free(string)):
            return blank_spans(string, (m.span() for m in self._folded.finditer(low)))
        return self.regex.sub(lambda m: " " * len(m.group(0)), string)
