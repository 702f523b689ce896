"""A registry-shaped HTTP server for tests and benchmarks (ClinicalTrials.gov API v2 subset).

A real server on 127.0.0.1 (stdlib `ThreadingHTTPServer` in a background thread) serving
`GET {base}/version`, `GET {base}/studies` and `GET {base}/studies/{nctId}` from an
in-memory list of study objects, with scriptable faults and a log of every request.

    with FakeRegistry(studies) as server:
        server.faults.append(Fault.status(503))
        client = RegistryClient(base_url=server.url)

`/studies` supports `pageSize` (default 10, capped at 1000), opaque `pageToken`s (unknown
token: 400), `countTotal`, `filter.ids`, `filter.advanced` of the form
`AREA[LastUpdatePostDate]RANGE[date,MAX]`, and `query.intr` (any OR-ed term, matched
case-insensitively as whole words in intervention names, other names and descriptions).
`fields` is accepted and ignored (whole records are served). A page that comes back exactly
full carries a `nextPageToken` even when nothing follows, as the registry does. Later pages
must repeat the first request's parameters except `pageSize`, `countTotal` and `pageToken`
(the registry's rule), else 400. Unknown parameters get 400, like the registry.

Run `python -m tests.fake_registry --data DIR --port N` to serve every study JSON file under
DIR (single studies and `{"studies": [...]}` pages) until killed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from trials.registry.records import RecordError, parse_registry_date, parse_study, study_id

logger = logging.getLogger(__name__)

BASE_PATH = "/api/v2"
MAX_PAGE_SIZE = 1000  # the registry coerces larger page sizes down to this
DEFAULT_PAGE_SIZE = 10  # the registry's default when pageSize is missing or 0
# Parameters that may change between pages of one listing (the registry's own rule).
PAGE_VARYING_PARAMS = frozenset({"pageSize", "countTotal", "pageToken"})
KNOWN_STUDIES_PARAMS = frozenset(
    {
        "format",
        "markupFormat",
        "query.cond",
        "query.term",
        "query.intr",
        "query.titles",
        "query.spons",
        "query.id",
        "filter.ids",
        "filter.advanced",
        "filter.overallStatus",
        "fields",
        "sort",
        "countTotal",
        "pageSize",
        "pageToken",
    }
)
_SINCE_RE = re.compile(
    r"^\s*AREA\[LastUpdatePostDate\]\s*RANGE\[\s*(\d{4}-\d{2}(?:-\d{2})?)\s*,\s*MAX\s*\]\s*$"
)


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted misbehaviour, applied to the next request it matches.

    `path` (relative to the base, e.g. "/studies" or "/version") and `request_number`
    (1-based count of requests the server received) restrict which request it matches.
    """

    kind: str
    code: int = 200
    retry_after: str | None = None
    body: bytes = b""
    seconds: float = 0.0
    path: str | None = None
    request_number: int | None = None

    @classmethod
    def status(
        cls,
        code: int,
        *,
        retry_after: float | str | None = None,
        body: str | dict[str, Any] | None = None,
        path: str | None = None,
        request_number: int | None = None,
    ) -> Fault:
        """Answer with `code`; `body` text or JSON (default a registry-like JSON message)."""
        if body is None:
            body = {"message": f"fake registry fault: HTTP {code}"}
        raw = json.dumps(body) if isinstance(body, dict) else body
        return cls(
            "status",
            code=code,
            retry_after=None if retry_after is None else str(retry_after),
            body=raw.encode(),
            path=path,
            request_number=request_number,
        )

    @classmethod
    def truncate(cls, *, path: str | None = None, request_number: int | None = None) -> Fault:
        """Promise the whole body in Content-Length, send half of it, close the connection."""
        return cls("truncate", path=path, request_number=request_number)

    @classmethod
    def invalid_json(
        cls,
        *,
        body: str = "<html><body>Gateway hiccup</body></html>",
        path: str | None = None,
        request_number: int | None = None,
    ) -> Fault:
        """A 200 whose body is not JSON."""
        return cls("invalid_json", body=body.encode(), path=path, request_number=request_number)

    @classmethod
    def drop_connection(
        cls, *, path: str | None = None, request_number: int | None = None
    ) -> Fault:
        """Close the connection without sending a response."""
        return cls("drop", path=path, request_number=request_number)

    @classmethod
    def empty_page(
        cls, *, path: str | None = "/studies", request_number: int | None = None
    ) -> Fault:
        """Answer a `/studies` request with no studies but a token to the same place: an
        empty page in the middle of a listing, which the registry has been seen to send."""
        return cls("empty_page", path=path, request_number=request_number)

    @classmethod
    def delay(
        cls, seconds: float, *, path: str | None = None, request_number: int | None = None
    ) -> Fault:
        """Wait `seconds`, then answer normally (for read timeouts)."""
        return cls("delay", seconds=seconds, path=path, request_number=request_number)

    def matches(self, path: str, number: int) -> bool:
        return (self.path is None or self.path == path) and (
            self.request_number is None or self.request_number == number
        )


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request as the server saw it (before any fault was applied)."""

    number: int
    method: str
    path: str  # relative to the base URL, e.g. "/studies"
    params: dict[str, str]
    headers: dict[str, str]
    received_at: float  # time.monotonic()


@dataclass(frozen=True, slots=True)
class _Entry:
    nct_id: str
    raw: dict[str, Any]
    body: bytes  # the study serialised once, reused in every page
    search_text: tuple[str, ...]
    last_update: dt.date | None


@dataclass(slots=True)
class _Listing:
    params: dict[str, str]  # the first request's params, minus PAGE_VARYING_PARAMS
    entries: list[_Entry]


@dataclass(slots=True)
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _index(raw: dict[str, Any]) -> _Entry:
    """Pre-compute what filtering needs; a record parse_study rejects still gets served."""
    nct_id = study_id(raw) or ""
    body = json.dumps(raw, ensure_ascii=False).encode()
    try:
        record = parse_study(raw)
    except RecordError:
        # The real registry indexes what it holds, however odd: search the whole record
        # and take the update date where it can be read, so malformed records still match.
        texts: tuple[str, ...] = (body.decode(),)
        try:
            last_update = parse_registry_date(
                raw["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
            )
        except (KeyError, TypeError):
            last_update = None
    else:
        texts = tuple(
            text
            for item in record.interventions
            for text in (item.name, *item.other_names, item.description)
            if text
        )
        last_update = record.last_update_posted
    return _Entry(nct_id.upper(), raw, body, texts, last_update)


def _error(status: int, message: str) -> _Answer:
    return _Answer(status, json.dumps({"message": message}).encode())


def _intr_terms(value: str) -> list[re.Pattern[str]]:
    """`a OR "b c" OR (d)` to whole-word, case-insensitive patterns."""
    terms = [t.strip().strip("()").strip().strip('"') for t in re.split(r"\s+OR\s+", value)]
    return [re.compile(rf"(?<!\w){re.escape(t)}(?!\w)", re.IGNORECASE) for t in terms if t.strip()]


class FakeRegistry:
    """The fake registry; start with `start()` or `with`, stop with `stop()`."""

    def __init__(
        self,
        studies: Iterable[dict[str, Any]] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data_timestamp: str = "2025-06-16T09:00:05",
        api_version: str = "2.0.3",
    ) -> None:
        self.data_timestamp = data_timestamp
        self.api_version = api_version
        self.faults: list[Fault] = []  # consumed in order by matching requests
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self._by_id: dict[str, _Entry] = {}
        self._listings: dict[str, tuple[_Listing, int]] = {}  # token -> listing, offset
        self._requests: list[RecordedRequest] = []
        self._pages_left: int | None = None
        self.set_studies(studies)
        self._httpd = _Server((host, port), _make_handler(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{BASE_PATH}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Requests received for one path, e.g. "/studies"."""
        return [r for r in self.requests if r.path == path]

    def set_studies(
        self, studies: Iterable[dict[str, Any]], *, keep_duplicates: bool = False
    ) -> None:
        """Replace the served studies (order kept; later duplicates of an nctId dropped
        unless `keep_duplicates`, to serve one study on two pages as a shifting listing can)."""
        entries: list[_Entry] = []
        by_id: dict[str, _Entry] = {}
        for raw in studies:
            entry = _index(raw)
            if entry.nct_id and entry.nct_id in by_id and not keep_duplicates:
                continue
            entries.append(entry)
            if entry.nct_id:
                by_id[entry.nct_id] = entry
        with self._lock:
            self._entries = entries
            self._by_id = by_id

    def kill_after_pages(self, pages: int | None) -> None:
        """Serve `pages` more `/studies` pages, then drop every `/studies` connection.

        None lifts it. Simulates a registry (or network) dying in the middle of a sync.
        """
        with self._lock:
            self._pages_left = pages

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits up to one poll; keep tests quick
            name="fake-registry",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (for the command line)."""
        try:
            self._httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Request handling. Everything that touches shared state holds the lock briefly;
    # serialising a page happens outside it.

    def _receive(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str]
    ) -> Fault | None:
        """Record the request; return the first queued fault it matches (consumed)."""
        with self._lock:
            number = len(self._requests) + 1
            self._requests.append(
                RecordedRequest(number, method, path, params, headers, time.monotonic())
            )
            for i, fault in enumerate(self.faults):
                if fault.matches(path, number):
                    return self.faults.pop(i)
            if path == "/studies" and self._pages_left is not None:
                if self._pages_left <= 0:
                    return Fault.drop_connection()
                self._pages_left -= 1
        return None

    def _answer(self, path: str, params: dict[str, str]) -> _Answer:
        if path == "/version":
            body = {"apiVersion": self.api_version, "dataTimestamp": self.data_timestamp}
            return _Answer(200, json.dumps(body).encode())
        if path == "/studies":
            return self._studies(params)
        if path.startswith("/studies/"):
            with self._lock:
                entry = self._by_id.get(path.removeprefix("/studies/").upper())
            if entry is None:
                return _error(404, f"Study {path.removeprefix('/studies/')} not found")
            return _Answer(200, entry.body)
        return _error(404, f"no such endpoint: {path}")

    def _studies(self, params: dict[str, str], *, empty: bool = False) -> _Answer:
        unknown = sorted(set(params) - KNOWN_STUDIES_PARAMS)
        if unknown:
            return _error(400, f"`{unknown[0]}` is unknown parameter")
        if params.get("format", "json") != "json":
            return _error(400, "the fake registry serves format=json only")
        try:
            page_size = int(params.get("pageSize") or 0)
        except ValueError:
            return _error(400, f"pageSize must be an integer: {params['pageSize']!r}")
        if page_size < 0:
            return _error(400, "pageSize must not be negative")
        page_size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        fixed = {k: v for k, v in params.items() if k not in PAGE_VARYING_PARAMS}

        token = params.get("pageToken")
        if token is None:
            try:
                entries = self._matching(params)
            except ValueError as exc:
                return _error(400, str(exc))
            listing, offset = _Listing(fixed, entries), 0
        else:
            with self._lock:
                cursor = self._listings.get(token)
            if cursor is None:
                return _error(400, f"Invalid pageToken: {token!r}")
            listing, offset = cursor
            if listing.params != fixed:
                return _error(
                    400,
                    "parameters of a next-page request must be the same as of the first page "
                    f"(first: {listing.params}, now: {fixed})",
                )

        chunk = [] if empty else listing.entries[offset : offset + page_size]
        parts = [b'{"studies":[', b",".join(e.body for e in chunk), b"]"]
        if token is None and params.get("countTotal", "").lower() == "true":
            parts.append(b',"totalCount":%d' % len(listing.entries))
        if empty or len(chunk) == page_size:  # exactly full: a token even if nothing follows
            next_token = secrets.token_urlsafe(12)
            with self._lock:
                self._listings[next_token] = (listing, offset + len(chunk))
            parts.append(b',"nextPageToken":"%s"' % next_token.encode())
        parts.append(b"}")
        return _Answer(200, b"".join(parts))

    def _matching(self, params: dict[str, str]) -> list[_Entry]:
        with self._lock:
            entries = list(self._entries)
        ids = params.get("filter.ids")
        if ids:
            wanted = {i.strip().upper() for i in re.split(r"[,|]", ids) if i.strip()}
            entries = [e for e in entries if e.nct_id in wanted]
        advanced = params.get("filter.advanced")
        if advanced:
            match = _SINCE_RE.match(advanced)
            since = parse_registry_date(match.group(1)) if match else None
            if since is None:
                raise ValueError(f"the fake registry cannot evaluate filter.advanced={advanced!r}")
            entries = [e for e in entries if e.last_update is not None and e.last_update >= since]
        intr = params.get("query.intr")
        if intr:
            patterns = _intr_terms(intr)
            entries = [
                e for e in entries if any(p.search(t) for p in patterns for t in e.search_text)
            ]
        return entries


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck in a delay fault must not block shutdown
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up mid-answer are part of the tests; stay quiet.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def _make_handler(registry: FakeRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a client's pooled connections expect
        server_version = "FakeRegistry/1.0"

        def do_GET(self) -> None:
            split = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            path = split.path
            if path == BASE_PATH or path.startswith(BASE_PATH + "/"):
                path = path[len(BASE_PATH) :] or "/"
            else:
                path = "/.." + path  # outside the API: recorded, then 404
            fault = registry._receive("GET", path, params, dict(self.headers.items()))
            if fault is not None and fault.kind == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.seconds)
            if fault is not None and fault.kind == "status":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                answer = _Answer(fault.code, fault.body, headers)
            elif fault is not None and fault.kind == "invalid_json":
                answer = _Answer(200, fault.body)
            elif fault is not None and fault.kind == "empty_page" and path == "/studies":
                answer = registry._studies(params, empty=True)
            else:
                answer = registry._answer(path, params)
            truncate = fault is not None and fault.kind == "truncate"
            self._send(answer, truncate=truncate)

        def _send(self, answer: _Answer, *, truncate: bool) -> None:
            self.send_response(answer.status)
            body = answer.body
            content_type = "application/json" if body[:1] in (b"{", b"[") else "text/plain"
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            if truncate:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("fake registry: " + format, *args)

    return Handler


def fake_nct_id(n: int) -> str:
    """A well-formed NCT id for made-up studies: 3 -> "NCT00000003"."""
    return f"NCT{n:08d}"


def make_study(
    nct_id: str,
    *,
    interventions: tuple[str, ...] = (),
    other_names: tuple[str, ...] = (),
    last_update: str | None = "2024-01-15",
) -> dict[str, Any]:
    """A minimal registry-shaped study object; `last_update` None leaves the date out."""
    status: dict[str, Any] = {"overallStatus": "RECRUITING"}
    if last_update is not None:
        status["lastUpdatePostDateStruct"] = {"date": last_update, "type": "ACTUAL"}
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": f"Study {nct_id}"},
            "statusModule": status,
            "armsInterventionsModule": {
                "interventions": [
                    {"type": "DRUG", "name": name, "otherNames": list(other_names)}
                    for name in interventions
                ]
            },
        },
        "hasResults": False,
    }


def load_studies(data_dir: Path) -> list[dict[str, Any]]:
    """Every study in the JSON files under `data_dir`, one per nctId.

    Files may hold one study or a `{"studies": [...]}` page. A single-study file wins over a
    page item (pages are often cut down with `fields=`); otherwise the first file in path
    order wins. Files of other shapes (the spec, legacy formats) are skipped.
    """
    singles: dict[str, dict[str, Any]] = {}
    from_pages: dict[str, dict[str, Any]] = {}
    for path in sorted(data_dir.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning("skipping %s: %s", path, exc)
            continue
        if isinstance(data, dict) and isinstance(data.get("studies"), list):
            target, items = from_pages, data["studies"]
        else:
            target, items = singles, [data]
        for item in items:
            nct_id = study_id(item)
            if nct_id is not None:
                target.setdefault(nct_id.upper(), item)
    return list({**from_pages, **singles}.values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of study JSON files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--data-timestamp", default="2025-06-16T09:00:05")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"--data {args.data} is not a folder")
    studies = load_studies(args.data)
    server = FakeRegistry(
        studies, host=args.host, port=args.port, data_timestamp=args.data_timestamp
    )
    print(f"fake registry: {len(studies)} studies at {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
