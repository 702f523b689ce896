"""Registry study JSON (API v2) to plain records.

Pure functions: a study object as `GET /studies/{nctId}` or one item of `GET /studies`
returns it, in; a `StudyRecord` dataclass out. No Django ORM here. Fields the registry
leaves out come back empty; a record without an NCT id or with the wrong shape raises
`RecordError` with a reason a person can act on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

NCT_ID_RE = re.compile(r"^NCT\d{8}$")
_MAX_INT32 = 2**31 - 1

# Days per unit, so ages in different units compare. A year is 365 days here and in the
# screening code alike, which is what matters for comparisons.
_AGE_UNITS = {
    "year": 365,
    "month": 30,
    "week": 7,
    "day": 1,
    "hour": 0,
    "minute": 0,
}
# The contact fields kept from a site's contacts (the registry may add others).
_CONTACT_KEYS = frozenset({"name", "role", "phone", "email"})
_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+?)s?\s*$")


class RecordError(ValueError):
    """A registry record that cannot be read; the message says why."""

    def __init__(self, reason: str, *, record_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.record_id = record_id


@dataclass(frozen=True, slots=True)
class InterventionRecord:
    type: str
    name: str
    other_names: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class LocationRecord:
    facility: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    status: str = ""
    latitude: float | None = None
    longitude: float | None = None
    contacts: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class StudyRecord:
    nct_id: str
    brief_title: str
    official_title: str = ""
    overall_status: str = ""
    phases: tuple[str, ...] = ()
    study_type: str = ""
    start_date: dt.date | None = None
    completion_date: dt.date | None = None
    last_update_posted: dt.date | None = None
    enrollment: int | None = None
    lead_sponsor: str = ""
    brief_summary: str = ""
    conditions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    eligibility_criteria: str = ""
    minimum_age_text: str = ""
    maximum_age_text: str = ""
    minimum_age_days: int | None = None
    maximum_age_days: int | None = None
    sex: str = ""
    healthy_volunteers: bool | None = None
    interventions: tuple[InterventionRecord, ...] = ()
    locations: tuple[LocationRecord, ...] = ()
    content_hash: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


# Where orjson's output may differ from the canonical json.dumps below: exponent floats
# ("1e16" for "1e+16", "1.5e-7" for "1.5e-07", "0.00001" for "1e-05") and NaN/Infinity
# (orjson writes null). Checked with substring searches and a regex that starts with a
# literal, because a regex starting with a class costs more than the encoding saves.
# Text that merely looks like that ("p<0.00001", "null") only costs the slower path.
_EXPONENT = re.compile(rb"e-?\d")


def _orjson_unsure(data: bytes) -> bool:
    if b"null" in data or b"0.0000" in data:
        return True
    return any(data[m.start() - 1 : m.start()].isdigit() for m in _EXPONENT.finditer(data))


def _canonical(raw: Any) -> bytes:
    """Compact JSON with sorted keys: the bytes the content hash is taken of.

    The definition is `json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)` in UTF-8, as stored hashes were made. orjson writes the same
    bytes about seven times faster, which is most of the cost of an unchanged re-sync, so
    it is used whenever its output cannot differ (see _orjson_unsure; it raises on what
    it cannot write, e.g. integers beyond 64 bits or lone surrogates).
    """
    try:
        data = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        pass
    else:
        if not _orjson_unsure(data):
            return data
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def content_hash(raw: dict[str, Any]) -> str:
    """A stable hash of a registry record: same content, same hash, whatever key order."""
    return hashlib.sha256(_canonical(raw)).hexdigest()


def content_hash_matches(raw: dict[str, Any], digest: str) -> bool:
    """`content_hash(raw) == digest`, mostly without the checks content_hash needs.

    What makes orjson's bytes unsure is that they may spell the content differently from
    the canonical bytes, never that they mean other content: they read back as `raw`
    itself (NaN and Infinity aside, written as null, hence the null check). So when they
    hash to `digest` they are the canonical bytes `digest` was taken of, and `raw` has
    that content. Any other case is settled by content_hash. This is what makes an
    unchanged re-sync cheap: its records all match.
    """
    try:
        data = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return content_hash(raw) == digest
    if b"null" not in data and hashlib.sha256(data).hexdigest() == digest:
        return True
    return content_hash(raw) == digest


def parse_registry_date(value: Any) -> dt.date | None:
    """'2024', '2024-05' or '2024-05-17' to a date (missing parts become 1)."""
    if not isinstance(value, str) or not value.strip():
        return None
    parts = value.strip().split("-")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        return None
    if not 1 <= len(numbers) <= 3:
        return None
    numbers += [1] * (3 - len(numbers))
    try:
        return dt.date(*numbers)
    except ValueError:
        return None


def parse_age_days(value: Any) -> int | None:
    """'18 Years' -> 6570; 'N/A', empty or unreadable -> None (no limit)."""
    if not isinstance(value, str):
        return None
    match = _AGE_RE.match(value)
    if not match:
        return None
    unit = match.group(2).lower()
    if unit not in _AGE_UNITS:
        return None
    return int(float(match.group(1)) * _AGE_UNITS[unit])


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    raise TypeError(f"expected text, got {type(value).__name__}")


def _dict(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"{where} should be an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{where} should be a list, got {type(value).__name__}")
    return value


def _str_tuple(value: Any, where: str) -> tuple[str, ...]:
    items = _list(value, where)
    try:
        return tuple(_str(item) for item in items if item is not None)
    except TypeError as exc:
        raise RecordError(f"{where}: {exc}") from None


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and -limit <= number <= limit else None


def _field(module: dict[str, Any], key: str, where: str) -> str:
    value = module.get(key)
    if type(value) is str:  # nearly always: skip the checks (a page has ~100k fields)
        return value
    try:
        return _str(value)
    except TypeError as exc:
        raise RecordError(f"{where}.{key}: {exc}") from None


def study_id(raw: Any) -> str | None:
    """The NCT id of a raw record if it has a readable one, for error messages."""
    try:
        ident = raw["protocolSection"]["identificationModule"]["nctId"]
    except (KeyError, TypeError):
        return None
    return ident if isinstance(ident, str) else None


def parse_study(raw: Any, *, known_hash: str | None = None) -> StudyRecord:
    """Read one registry study object into a StudyRecord, or raise RecordError.

    `known_hash`: `content_hash(raw)` when the caller has already computed it (ingest
    hashes every record first to skip unchanged ones), so it is not computed twice.
    """
    if not isinstance(raw, dict):
        raise RecordError(f"a study should be a JSON object, got {type(raw).__name__}")
    protocol = _dict(raw.get("protocolSection"), "protocolSection")
    if not protocol:
        raise RecordError("no protocolSection")
    ident = _dict(protocol.get("identificationModule"), "identificationModule")
    nct_id = ident.get("nctId")
    if not isinstance(nct_id, str) or not NCT_ID_RE.match(nct_id.strip()):
        raise RecordError(f"missing or malformed nctId: {nct_id!r}")
    nct_id = nct_id.strip()
    try:
        return _parse(raw, protocol, ident, nct_id, known_hash)
    except RecordError as exc:
        exc.record_id = nct_id
        raise


def _parse(
    raw: dict[str, Any],
    protocol: dict[str, Any],
    ident: dict[str, Any],
    nct_id: str,
    known_hash: str | None,
) -> StudyRecord:
    status = _dict(protocol.get("statusModule"), "statusModule")
    design = _dict(protocol.get("designModule"), "designModule")
    sponsors = _dict(protocol.get("sponsorCollaboratorsModule"), "sponsorCollaboratorsModule")
    description = _dict(protocol.get("descriptionModule"), "descriptionModule")
    conditions = _dict(protocol.get("conditionsModule"), "conditionsModule")
    eligibility = _dict(protocol.get("eligibilityModule"), "eligibilityModule")
    arms = _dict(protocol.get("armsInterventionsModule"), "armsInterventionsModule")
    contacts = _dict(protocol.get("contactsLocationsModule"), "contactsLocationsModule")

    brief_title = _field(ident, "briefTitle", "identificationModule")
    official_title = _field(ident, "officialTitle", "identificationModule")
    if not brief_title:
        brief_title = official_title or nct_id

    enrollment_info = _dict(design.get("enrollmentInfo"), "designModule.enrollmentInfo")
    enrollment = enrollment_info.get("count")
    if (
        isinstance(enrollment, bool)
        or not isinstance(enrollment, int)
        or not 0 <= enrollment <= _MAX_INT32  # larger is a typo, and no column holds it
    ):
        enrollment = None

    healthy = eligibility.get("healthyVolunteers")
    min_age = _field(eligibility, "minimumAge", "eligibilityModule")
    max_age = _field(eligibility, "maximumAge", "eligibilityModule")

    interventions = []
    for i, item in enumerate(_list(arms.get("interventions"), "interventions")):
        item = _dict(item, f"interventions[{i}]")
        name = _field(item, "name", f"interventions[{i}]")
        if not name:
            continue
        interventions.append(
            InterventionRecord(
                type=_field(item, "type", f"interventions[{i}]"),
                name=name,
                other_names=_str_tuple(item.get("otherNames"), f"interventions[{i}].otherNames"),
                description=_field(item, "description", f"interventions[{i}]"),
            )
        )

    locations = []
    for i, item in enumerate(_list(contacts.get("locations"), "locations")):
        where = f"locations[{i}]"  # once per site: a record may list hundreds
        item = _dict(item, where)
        geo = _dict(item.get("geoPoint"), f"{where}.geoPoint")
        location_contacts = tuple(
            {k: _str(v) for k, v in c.items() if k in _CONTACT_KEYS}
            for c in _list(item.get("contacts"), f"{where}.contacts")
            if isinstance(c, dict)
        )
        locations.append(
            LocationRecord(
                facility=_field(item, "facility", where),
                city=_field(item, "city", where),
                state=_field(item, "state", where),
                zip=_field(item, "zip", where),
                country=_field(item, "country", where),
                status=_field(item, "status", where),
                latitude=_coordinate(geo.get("lat"), 90.0),
                longitude=_coordinate(geo.get("lon"), 180.0),
                contacts=location_contacts,
            )
        )

    lead = _dict(sponsors.get("leadSponsor"), "leadSponsor")
    return StudyRecord(
        nct_id=nct_id,
        brief_title=brief_title,
        official_title=official_title,
        overall_status=_field(status, "overallStatus", "statusModule"),
        phases=_str_tuple(design.get("phases"), "designModule.phases"),
        study_type=_field(design, "studyType", "designModule"),
        start_date=parse_registry_date(
            _dict(status.get("startDateStruct"), "startDateStruct").get("date")
        ),
        completion_date=parse_registry_date(
            _dict(status.get("completionDateStruct"), "completionDateStruct").get("date")
        ),
        last_update_posted=parse_registry_date(
            _dict(status.get("lastUpdatePostDateStruct"), "lastUpdatePostDateStruct").get("date")
        ),
        enrollment=enrollment,
        lead_sponsor=_field(lead, "name", "leadSponsor"),
        brief_summary=_field(description, "briefSummary", "descriptionModule"),
        conditions=_str_tuple(conditions.get("conditions"), "conditions"),
        keywords=_str_tuple(conditions.get("keywords"), "keywords"),
        eligibility_criteria=_field(eligibility, "eligibilityCriteria", "eligibilityModule"),
        minimum_age_text=min_age,
        maximum_age_text=max_age,
        minimum_age_days=parse_age_days(min_age),
        maximum_age_days=parse_age_days(max_age),
        sex=_field(eligibility, "sex", "eligibilityModule"),
        healthy_volunteers=healthy if isinstance(healthy, bool) else None,
        interventions=tuple(interventions),
        locations=tuple(locations),
        content_hash=known_hash or content_hash(raw),
        raw=raw,
    )
