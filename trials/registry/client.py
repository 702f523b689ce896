"""HTTP client for the ClinicalTrials.gov API v2: `/version`, `/studies` pages, one study.

Pure Python (requests + urllib3), nothing from Django. One `requests.Session` per client;
HTTP-level retries (429, 5xx, connection and read errors) are urllib3's `Retry` on the
session's adapter. The one failure urllib3 cannot retry is a 200 whose body is cut short or
does not parse: the status line was already good, so the client retries that itself, with a
budget and backoff taken from the same `Retry` (see `RegistryClient._get_json`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Self

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ProtocolError
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry

from trials.registry.records import NCT_ID_RE, study_id

logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "cytokine-trial-screener/1.0 (cytokine trial screener; registry sync)"

# The registry coerces larger page sizes down to 1000, so asking for more is meaningless.
MAX_PAGE_SIZE = 1000

# Longest `query.intr` value per request. URL-encoding can triple it (quotes, spaces), and
# proxies and servers commonly cap the request line at 8 KiB; 1500 characters stays well
# inside that with room for the filters and a page token.
MAX_INTR_CHARS = 1500

# A Retry-After longer than this is treated as this long: a sync waiting for hours on one
# answer should rather fail and resume from its stored page token on the next run.
RETRY_AFTER_MAX_SECONDS = 300

# HTTP statuses worth repeating: rate limiting and transient server or gateway failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RegistryError(Exception):
    """A registry request that failed; `status` is the HTTP status if there was one."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None):
        super().__init__(message)
        self.status = status
        self.url = url


class RegistryBadRequest(RegistryError):
    """HTTP 400: the registry rejected the request; `message` is what it said."""

    def __init__(self, message: str, *, url: str | None = None):
        super().__init__(f"registry rejected the request: {message}", status=400, url=url)
        self.message = message


class RegistryNotFound(RegistryError):
    """HTTP 404, e.g. an unknown NCT id on `/studies/{nctId}`."""


class RegistryUnavailable(RegistryError):
    """Retries exhausted on 429/5xx, timeouts or connection errors."""


class RegistryBadResponse(RegistryError):
    """A body that is truncated, not JSON (after retries), or JSON of the wrong shape."""


@dataclass(frozen=True, slots=True)
class RegistryVersion:
    """`GET /version`: API version and the UTC timestamp of the registry's data."""

    api_version: str
    # `yyyy-MM-ddTHH:mm:ss`; "" if the registry leaves it out (the spec makes it optional).
    data_timestamp: str


@dataclass(frozen=True, slots=True)
class StudyPage:
    """One `GET /studies` answer.

    `studies` are the raw study objects as sent (read them with `records.parse_study`, which
    rejects a malformed record on its own). `page_number` counts from 1 within one
    `iter_pages` call, also when it resumed from a token. `next_page_token` is what to store
    to resume after this page; None on the last page.
    """

    studies: list[dict[str, Any]]
    next_page_token: str | None
    page_number: int
    request_params: dict[str, str]
    total_count: int | None = None


def _intr_term(term: str) -> str:
    """A term as Essie syntax: bare if one plain word, else a quoted phrase."""
    if '"' in term:
        raise ValueError(f"query term cannot contain a double quote: {term!r}")
    return term if re.fullmatch(r"[A-Za-z0-9]+", term) else f'"{term}"'


def _normalise_nct_id(value: str) -> str:
    nct_id = value.strip().upper()
    if not NCT_ID_RE.match(nct_id):
        raise ValueError(f"not an NCT id: {value!r}")
    return nct_id


@dataclass(frozen=True, slots=True)
class StudyQuery:
    """What to ask `/studies` for. Empty parts are not sent."""

    intr_terms: tuple[str, ...] = ()
    updated_since: dt.date | None = None
    nct_ids: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for term in self.intr_terms:
            if not term.strip():
                raise ValueError("query terms cannot be blank")
            _intr_term(term)
        for nct_id in self.nct_ids:
            _normalise_nct_id(nct_id)

    def is_empty(self) -> bool:
        """True when nothing limits the query (it would list the whole registry)."""
        return not (self.intr_terms or self.updated_since or self.nct_ids)

    def to_params(self) -> dict[str, str]:
        """The registry's query parameters for this query."""
        params: dict[str, str] = {}
        if self.intr_terms:
            params["query.intr"] = " OR ".join(_intr_term(t.strip()) for t in self.intr_terms)
        if self.updated_since is not None:
            since = self.updated_since.isoformat()
            params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{since},MAX]"
        if self.nct_ids:
            params["filter.ids"] = ",".join(_normalise_nct_id(i) for i in self.nct_ids)
        if self.fields:
            params["fields"] = ",".join(self.fields)
        return params


def split_queries(
    terms: Iterable[str],
    *,
    max_chars: int = MAX_INTR_CHARS,
    updated_since: dt.date | None = None,
    fields: tuple[str, ...] = (),
) -> list[StudyQuery]:
    """Pack `terms` in order into as few queries as keep each `query.intr` <= `max_chars`.

    Every distinct term (case-insensitively) lands in exactly one query; blank terms are
    dropped. A single term longer than `max_chars` raises ValueError.
    """
    seen: set[str] = set()
    groups: list[list[str]] = []
    length = 0
    for raw in terms:
        term = raw.strip()
        if not term or term.casefold() in seen:
            continue
        seen.add(term.casefold())
        piece = len(_intr_term(term))
        if piece > max_chars:
            raise ValueError(f"query term longer than {max_chars} characters: {term[:40]!r}...")
        if groups and length + len(" OR ") + piece <= max_chars:
            groups[-1].append(term)
            length += len(" OR ") + piece
        else:
            groups.append([term])
            length = piece
    return [
        StudyQuery(intr_terms=tuple(group), updated_since=updated_since, fields=fields)
        for group in groups
    ]


class RateLimiter:
    """Spaces calls to `wait()` at least 60/`requests_per_minute` seconds apart (0 = off)."""

    def __init__(
        self,
        requests_per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_minute < 0:
            raise ValueError("requests_per_minute cannot be negative")
        self.interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last: float | None = None

    def wait(self) -> float:
        """Block until the next request may start; return the seconds waited."""
        if not self.interval:
            return 0.0
        with self._lock:  # held while sleeping: callers queue up, one request per interval
            now = self._clock()
            waited = 0.0
            if self._last is not None and now < self._last + self.interval:
                waited = self._last + self.interval - now
                self._sleep(waited)
                now = self._last + self.interval
            self._last = now
            return waited


class _LoggingRetry(Retry):
    """urllib3 Retry that logs one line per retry (cause and wait) and sleeps via `sleep_fn`.

    `sleep` mirrors urllib3's own (Retry-After when present and positive, else the
    exponential backoff with jitter) but computes the wait once, so the log shows the wait
    actually used. `sleep_fn` is injectable for tests and survives `new()`.
    """

    sleep_fn: Callable[[float], None] = staticmethod(time.sleep)

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry.sleep_fn = self.sleep_fn
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        retry_after = None
        if response is not None and self.respect_retry_after_header:
            retry_after = self.get_retry_after(response)
        wait = retry_after if retry_after else self.get_backoff_time()
        last = self.history[-1] if self.history else None
        if last is not None and last.status:
            cause = f"HTTP {last.status}"
        else:
            cause = type(last.error).__name__ if last is not None else "unknown"
        url = last.url if last is not None else "?"
        logger.warning(
            "registry retry %d after %s on %s; waiting %.2fs%s",
            len(self.history),
            cause,
            url,
            wait,
            " (Retry-After)" if retry_after else "",
        )
        if wait > 0:
            self.sleep_fn(wait)


class _UnreadableBody(Exception):
    """A 200 whose body was cut short or is not JSON; worth another try."""


class RegistryClient:
    """Client for one registry base URL, e.g. `https://clinicaltrials.gov/api/v2`.

    One client per thread or task: it holds one `requests.Session`, which is not meant to be
    shared between threads.
    """

    def __init__(
        self,
        *,
        base_url: str,
        connect_timeout: float = 10,
        read_timeout: float = 120,
        max_retries: int = 5,
        backoff_factor: float = 1.0,
        requests_per_minute: float = 50,
        page_size: int = MAX_PAGE_SIZE,
        user_agent: str = DEFAULT_USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Defaults, and why.

        connect_timeout 10 s: a healthy registry accepts a connection in well under a second.
        read_timeout 120 s: it bounds each socket read, and a 1000-study page is tens of MB
        assembled server-side before the first byte.
        max_retries 5 with backoff_factor 1: waits of about 0, 2, 4, 8, 16 s (plus up to
        1 s jitter each) ride out a half-minute outage before giving up.
        requests_per_minute 50: the registry throttles at about 50 requests per minute per IP.
        """
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL: {base_url!r}")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if max_retries < 0:
            raise ValueError("max_retries cannot be negative")
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.page_size = page_size
        self._limiter = RateLimiter(requests_per_minute, clock=clock, sleep=sleep)
        self._retry = _LoggingRetry(
            total=max_retries,
            backoff_factor=backoff_factor,
            # Up to one more backoff step at random, so clients that failed together do not
            # all come back in the same instant.
            backoff_jitter=backoff_factor,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            retry_after_max=RETRY_AFTER_MAX_SECONDS,
            raise_on_status=False,  # hand back the last response; _check_status names the error
        )
        self._retry.sleep_fn = sleep
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        adapter = HTTPAdapter(max_retries=self._retry)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def close(self) -> None:
        """Close the session and its pooled connections."""
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def version(self) -> RegistryVersion:
        """`GET /version`."""
        data = self._get_json("/version", {})
        api_version = data.get("apiVersion") if isinstance(data, dict) else None
        if not isinstance(api_version, str):
            raise RegistryBadResponse(
                "/version answer has no apiVersion", url=f"{self.base_url}/version"
            )
        timestamp = data.get("dataTimestamp")
        return RegistryVersion(
            api_version=api_version, data_timestamp=timestamp if isinstance(timestamp, str) else ""
        )

    def get_study(self, nct_id: str) -> dict[str, Any]:
        """`GET /studies/{nctId}`; RegistryNotFound if the registry has no such study.

        The registry redirects an alias id to the study's current id, so the record's own
        `nctId` may differ from the one asked for.
        """
        path = f"/studies/{_normalise_nct_id(nct_id)}"
        data = self._get_json(path, {"format": "json"})
        if not isinstance(data, dict) or study_id(data) is None:
            raise RegistryBadResponse(
                "study answer has no protocolSection.identificationModule.nctId",
                url=f"{self.base_url}{path}",
            )
        return data

    def iter_pages(
        self, *, query: StudyQuery, page_token: str | None = None
    ) -> Iterator[StudyPage]:
        """Yield `GET /studies` pages until one comes back without a `nextPageToken`.

        Every page repeats the first request's parameters (the registry requires it); the
        first asks for `countTotal`, later ones send `pageToken`. Pass `page_token` (a stored
        `next_page_token`) to resume. A page may be empty: a page that came back exactly full
        carries a token even when nothing follows, and the empty page after it ends the run.
        """
        if query.is_empty():
            raise ValueError("refusing an unrestricted query: it would list the whole registry")
        base = {"format": "json", "pageSize": str(self.page_size), **query.to_params()}
        token = page_token
        page_number = 1
        while True:
            params = dict(base)
            if token is None:
                params["countTotal"] = "true"
            else:
                params["pageToken"] = token
            data = self._get_json("/studies", params)
            page = self._read_page(data, params, page_number)
            yield page
            if page.next_page_token is None:
                return
            if page.next_page_token == token:
                raise RegistryBadResponse(
                    "registry answered a page token with the same token; stopping",
                    url=f"{self.base_url}/studies",
                )
            token = page.next_page_token
            page_number += 1

    def _read_page(self, data: Any, params: dict[str, str], page_number: int) -> StudyPage:
        url = f"{self.base_url}/studies"
        if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
            raise RegistryBadResponse("/studies answer has no studies list", url=url)
        token = data.get("nextPageToken")
        if token is not None and not isinstance(token, str):
            raise RegistryBadResponse("nextPageToken is not a string", url=url)
        total = data.get("totalCount")
        return StudyPage(
            studies=data["studies"],
            next_page_token=token or None,
            page_number=page_number,
            request_params=params,
            total_count=total if isinstance(total, int) and not isinstance(total, bool) else None,
        )

    def _get_json(self, path: str, params: Mapping[str, str]) -> Any:
        """GET and decode JSON; raises a RegistryError subclass on failure.

        urllib3 has already retried statuses and connection/read errors by the time a
        response comes back. A 200 with a truncated or unparseable body it cannot retry (the
        response was already handed over), so that case loops here: at most `max_retries`
        more tries, counted and spaced by a copy of the same Retry (`increment` raises
        MaxRetryError when the budget is spent; `sleep` applies its backoff and logs).
        """
        url = f"{self.base_url}{path}"
        retry: Retry = self._retry
        while True:
            try:
                return self._get_once(url, params)
            except _UnreadableBody as exc:
                try:
                    retry = retry.increment(method="GET", url=url, error=ProtocolError(str(exc)))
                except MaxRetryError:
                    raise RegistryBadResponse(
                        f"unreadable body after {len(retry.history) + 1} tries: {exc}", url=url
                    ) from exc
                retry.sleep()

    def _get_once(self, url: str, params: Mapping[str, str]) -> Any:
        self._limiter.wait()
        try:
            # stream=True: the body is read below, so a cut-short body surfaces here as
            # ChunkedEncodingError and not as one of urllib3's exhausted-retry errors.
            response = self._session.get(url, params=params, timeout=self.timeout, stream=True)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RegistryUnavailable(f"registry unreachable: {exc}", url=url) from exc
        with response:
            _check_status(response)
            try:
                body = response.content
            except (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
                requests.ConnectionError,  # a read timeout in the middle of the body
            ) as exc:
                raise _UnreadableBody(f"body cut short: {exc}") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise _UnreadableBody(f"body is not JSON: {exc}") from exc


def _error_message(response: requests.Response) -> str:
    """The registry's own words from an error body: JSON `message`/`error`, else the text."""
    try:
        text = response.text.strip()
    except requests.RequestException:
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(data, dict):
        for key in ("message", "error", "detail"):
            if isinstance(data.get(key), str):
                return data[key]
    return text[:500]


def _check_status(response: requests.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    url = response.url
    if status == 400:
        raise RegistryBadRequest(_error_message(response) or "HTTP 400", url=url)
    if status == 404:
        raise RegistryNotFound(_error_message(response) or "not found", status=404, url=url)
    if status in RETRY_STATUSES:
        raise RegistryUnavailable(f"HTTP {status} after retries", status=status, url=url)
    raise RegistryError(f"HTTP {status}: {_error_message(response)}", status=status, url=url)


__all__ = [
    "MAX_INTR_CHARS",
    "MAX_PAGE_SIZE",
    "RateLimiter",
    "RegistryBadRequest",
    "RegistryBadResponse",
    "RegistryClient",
    "RegistryError",
    "RegistryNotFound",
    "RegistryUnavailable",
    "RegistryVersion",
    "StudyPage",
    "StudyQuery",
    "split_queries",
]
