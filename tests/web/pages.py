"""Small HTML readers for the page tests (stdlib only)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "area", "col"}


class PageReader(HTMLParser):
    """Collects headings, form controls, labels and the page's own visible text (text
    inside elements marked `registry-text` is registry wording, kept apart)."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.controls: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.own_text: list[str] = []
        self.registry_text: list[str] = []
        self._stack: list[tuple[str, bool]] = []
        self._heading: tuple[int, list[str]] | None = None
        self._skip = 0  # inside <script>/<style>/<title>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in {"script", "style"}:
            self._skip += 1
        registry = "registry-text" in a.get("class", "").split() or (
            bool(self._stack) and self._stack[-1][1]
        )
        if tag not in VOID:
            self._stack.append((tag, registry))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = (int(tag[1]), [])
        if tag in {"input", "select", "textarea"}:
            self.controls.append({"tag": tag, **a})
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1
        if re.fullmatch(r"h[1-6]", tag) and self._heading:
            self.headings.append((self._heading[0], " ".join(self._heading[1]).strip()))
            self._heading = None
        while self._stack:
            open_tag, _ = self._stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._heading:
            self._heading[1].append(data.strip())
        registry = bool(self._stack) and self._stack[-1][1]
        (self.registry_text if registry else self.own_text).append(data)


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    return reader


BANNED = re.compile(r"eligible|recommend|\bbest\b|should|suitable", re.IGNORECASE)


def banned_words(html: str) -> list[str]:
    """Our own wording that the contract rules out (registry text set apart)."""
    return BANNED.findall(" ".join(read_page(html).own_text))
