"""A person's answers and plain filters (contract sections 3 and 5), validated.

`answers_from_data` is the one validator for the web form and the API: it takes JSON
values (and the strings an HTML form sends), and raises `AnswersInvalid` with a message
per field. Answers are never stored or logged: keep them out of exception messages too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from trials.screening.vocabulary import (
    CYTOKINE_CLASSES,
    CYTOKINE_FAMILIES,
    DEFAULT_STATUSES,
    PHASES,
    STAGES,
    STATUSES,
    TREATMENT_CLASSES,
)

Ordering = Literal["status", "last_update", "distance", "nct_id"]
ORDERINGS: tuple[str, ...] = ("status", "last_update", "distance", "nct_id")
ORDERING_LABELS: dict[str, str] = {
    "status": "Recruiting status, then last update",
    "last_update": "Last update on the registry, newest first",
    "distance": "Distance to the nearest site",
    "nct_id": "Registry identifier (NCT number)",
}
SEXES: tuple[str, ...] = ("female", "male")
NONE_OF_THESE = "none"
UNKNOWN_WORDS = frozenset({"", "unknown", "not_sure", "not sure"})

MAX_AGE = 120
MAX_PRIOR_LINES = 50
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 10_000
# A bigger circle is no filter at all, and would make the distance search read every site.
MAX_RADIUS_KM = 5_000.0
MAX_TEXT = 200

# The keys `answers_from_data` reads; anything else is refused, so that a misspelt answer
# ("stages") is not silently ignored.
FIELDS: tuple[str, ...] = (
    "condition",
    "stage",
    "resectable",
    "prior_treatments",
    "prior_lines",
    "age",
    "sex",
    "cytokine",
    "status",
    "phase",
    "country",
    "near",
    "include_conflicts",
    "ordering",
    "page",
    "page_size",
)
# The person's own answers (section 3), as opposed to plain filters and paging.
ANSWER_FIELDS: tuple[str, ...] = (
    "stage",
    "resectable",
    "prior_treatments",
    "prior_lines",
    "age",
    "sex",
)


@dataclass(frozen=True, slots=True)
class Near:
    """A point and a radius: trials with a site within `radius_km` of it."""

    lat: float
    lon: float
    radius_km: float = 100.0


@dataclass(frozen=True, slots=True)
class Answers:
    """What a person tells the screener. Every answer is optional.

    `prior_treatments`: None means not answered; an empty tuple means "none of these".
    `status`: None means any status.
    """

    condition: str = ""
    stage: str | None = None
    resectable: bool | None = None
    prior_treatments: tuple[str, ...] | None = None
    prior_lines: int | None = None
    age: int | None = None
    sex: str | None = None
    cytokine: tuple[str, ...] = ()
    status: tuple[str, ...] | None = DEFAULT_STATUSES
    phase: tuple[str, ...] = ()
    country: str = ""
    near: Near | None = None
    include_conflicts: bool = False
    ordering: str = "status"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def has_answers(self) -> bool:
        """True when any of the person's own answers (not just filters) was given."""
        return any(getattr(self, name) is not None for name in ANSWER_FIELDS)


class AnswersInvalid(ValueError):
    """Answers that cannot be read; `errors` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid answers: " + ", ".join(sorted(errors)))
        self.errors = errors


@dataclass(slots=True)
class _Reader:
    data: Mapping[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def present(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def text(self, name: str) -> str:
        value = self.data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.error(name, "Expected text.")
            return ""
        value = value.strip()
        if len(value) > MAX_TEXT:
            self.error(name, f"Keep this under {MAX_TEXT} characters.")
            return ""
        return value

    def whole_number(
        self, name: str, *, minimum: int, maximum: int, default: int | None = None
    ) -> int | None:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, "Expected a whole number.")
            return default
        if not minimum <= value <= maximum:
            self.error(name, f"Expected a whole number from {minimum} to {maximum}.")
            return default
        return value

    def number(self, name: str, value: Any, *, minimum: float, maximum: float) -> float | None:
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                self.error(name, "Expected a number.")
                return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(name, "Expected a number.")
            return None
        if not math.isfinite(value) or not minimum <= value <= maximum:
            self.error(name, f"Expected a number from {minimum:g} to {maximum:g}.")
            return None
        return float(value)

    def boolean(self, name: str, *, allow_unknown: bool) -> bool | None:
        value = self.data.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            word = value.strip().lower()
            if word in {"true", "yes", "1", "on"}:
                return True
            if word in {"false", "no", "0", "off"}:
                return False
            if word in UNKNOWN_WORDS:
                return None
        if value is None:
            return None
        self.error(name, "Expected true, false" + (" or unknown." if allow_unknown else "."))
        return None

    def strings(self, name: str) -> list[str] | None:
        """A list of strings; a single string counts as a list of one."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return [value.strip()] if value.strip() else []
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value]
        self.error(name, "Expected a list of codes.")
        return None

    def codes(self, name: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
        values = self.strings(name) or []
        unknown = [v for v in values if v not in allowed]
        if unknown:
            self.error(
                name,
                f"Unknown {what} {', '.join(map(repr, unknown))}: "
                f"choose from {', '.join(allowed)}.",
            )
            return ()
        return tuple(dict.fromkeys(values))


def answers_from_data(data: Mapping[str, Any]) -> Answers:
    """Validated Answers from a JSON object or form data; AnswersInvalid otherwise."""
    if not isinstance(data, Mapping):
        raise AnswersInvalid({"non_field_errors": ["Expected a JSON object of answers."]})
    r = _Reader(data)
    for name in data:
        if name not in FIELDS:
            r.error(str(name), f"Unknown field: the fields are {', '.join(FIELDS)}.")

    stage = _stage(r)
    prior_treatments = _prior_treatments(r)
    sex = _sex(r)
    status = _status(r)
    near = _near(r)
    ordering = r.text("ordering") or "status"
    if ordering not in ORDERINGS:
        r.error("ordering", f"Unknown ordering {ordering!r}: choose from {', '.join(ORDERINGS)}.")
        ordering = "status"
    elif ordering == "distance" and near is None and "near" not in r.errors:
        r.error(
            "ordering",
            "Ordering by distance needs a place to measure from: give a latitude and longitude"
            " (near).",
        )

    answers = Answers(
        condition=r.text("condition"),
        stage=stage,
        resectable=r.boolean("resectable", allow_unknown=True),
        prior_treatments=prior_treatments,
        prior_lines=r.whole_number("prior_lines", minimum=0, maximum=MAX_PRIOR_LINES),
        age=r.whole_number("age", minimum=0, maximum=MAX_AGE),
        sex=sex,
        cytokine=r.codes("cytokine", CYTOKINE_CLASSES + CYTOKINE_FAMILIES, "cytokine family"),
        status=status,
        phase=r.codes("phase", PHASES, "phase"),
        country=r.text("country"),
        near=near,
        include_conflicts=bool(r.boolean("include_conflicts", allow_unknown=False)),
        ordering=ordering,
        page=r.whole_number("page", minimum=1, maximum=MAX_PAGE, default=1) or 1,
        page_size=r.whole_number(
            "page_size", minimum=1, maximum=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
        )
        or DEFAULT_PAGE_SIZE,
    )
    if r.errors:
        raise AnswersInvalid(r.errors)
    return answers


def _stage(r: _Reader) -> str | None:
    value = r.data.get("stage")
    if value is None:
        return None
    if not isinstance(value, str):
        r.error("stage", "Expected a stage: I, II, III, IV or unknown.")
        return None
    word = value.strip()
    if word.lower() in UNKNOWN_WORDS:
        return None
    if word.upper() in STAGES:
        return word.upper()
    r.error("stage", f"Unknown stage {value!r}: choose I, II, III, IV or unknown.")
    return None


def _prior_treatments(r: _Reader) -> tuple[str, ...] | None:
    if not r.present("prior_treatments"):
        return None
    values = r.strings("prior_treatments")
    if values is None:
        return None
    if NONE_OF_THESE in values:
        if len(set(values)) > 1:
            r.error(
                "prior_treatments",
                "'none' cannot be combined with treatments: choose either, or leave it out.",
            )
        return ()
    allowed = TREATMENT_CLASSES
    unknown = [v for v in values if v not in allowed]
    if unknown:
        r.error(
            "prior_treatments",
            f"Unknown treatment class {', '.join(map(repr, unknown))}: "
            f"choose from {', '.join(allowed)}, or none.",
        )
        return None
    return tuple(c for c in TREATMENT_CLASSES if c in values)


def _sex(r: _Reader) -> str | None:
    value = r.data.get("sex")
    if value is None:
        return None
    if not isinstance(value, str):
        r.error("sex", "Expected female, male or unknown.")
        return None
    word = value.strip().lower()
    if word in UNKNOWN_WORDS:
        return None
    if word in SEXES:
        return word
    r.error("sex", f"Unknown value {value!r}: choose female, male or unknown.")
    return None


def _status(r: _Reader) -> tuple[str, ...] | None:
    values = r.strings("status")
    if values is None or not values:
        return DEFAULT_STATUSES
    if values == ["any"]:
        return None
    unknown = [v for v in values if v not in STATUSES]
    if unknown:
        r.error(
            "status",
            f"Unknown status {', '.join(map(repr, unknown))}: "
            f"give 'any' or a list from {', '.join(STATUSES)}.",
        )
        return DEFAULT_STATUSES
    return tuple(dict.fromkeys(values))


def _near(r: _Reader) -> Near | None:
    value = r.data.get("near")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        r.error("near", "Expected an object: {lat, lon, radius_km}.")
        return None
    before = len(r.errors.get("near", []))
    for key in value:
        if key not in {"lat", "lon", "radius_km"}:
            r.error("near", f"Unknown key {key!r}: expected lat, lon and radius_km.")
    if value.get("lat") is None or value.get("lon") is None:
        r.error("near", "Give both a latitude (lat) and a longitude (lon).")
        return None
    lat = r.number("near", value["lat"], minimum=-90, maximum=90)
    lon = r.number("near", value["lon"], minimum=-180, maximum=180)
    radius = 100.0
    if value.get("radius_km") is not None:
        radius = r.number("near", value["radius_km"], minimum=1, maximum=MAX_RADIUS_KM) or 0.0
    if len(r.errors.get("near", [])) > before or lat is None or lon is None or not radius:
        return None
    return Near(lat=lat, lon=lon, radius_km=radius)
