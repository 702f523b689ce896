"""Registry JSON to StudyRecord: the field mapping and its edge cases (pure, no database)."""

import datetime as dt

import pytest

from tests.conftest import build_study
from trials.registry.records import (
    RecordError,
    content_hash,
    parse_age_days,
    parse_registry_date,
    parse_study,
)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("18 Years", 18 * 365),
        ("1 Year", 365),
        ("6 Months", 180),
        ("4 Weeks", 28),
        ("30 Days", 30),
        ("12 Hours", 0),
        ("N/A", None),
        ("", None),
        (None, None),
        ("eighteen years", None),
        ("18 Fortnights", None),
    ],
)
def test_ages_normalise_to_days_or_none(text: str | None, days: int | None) -> None:
    assert parse_age_days(text) == days


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2024-05-17", dt.date(2024, 5, 17)),
        ("2024-05", dt.date(2024, 5, 1)),
        ("2024", dt.date(2024, 1, 1)),
        ("2024-13", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_registry_dates_with_month_precision_read_as_first_day(
    text: str | None, date: dt.date | None
) -> None:
    assert parse_registry_date(text) == date


def test_parse_study_maps_every_field() -> None:
    record = parse_study(build_study("NCT90000042"))
    assert record.nct_id == "NCT90000042"
    assert record.overall_status == "RECRUITING"
    assert record.phases == ("PHASE2",)
    assert record.start_date == dt.date(2024, 3, 1)
    assert record.last_update_posted == dt.date(2025, 5, 2)
    assert record.enrollment == 40
    assert record.minimum_age_days == 18 * 365
    assert record.maximum_age_text == "6 Months"
    assert record.healthy_volunteers is False
    assert [i.name for i in record.interventions] == ["Aldesleukin", "Pembrolizumab"]
    assert record.interventions[0].other_names == ("Proleukin", "IL-2")
    assert record.locations[0].latitude == pytest.approx(42.35)
    assert record.locations[1].latitude is None
    assert record.conditions == ("Melanoma", "Stage IV Cutaneous Melanoma AJCC v8")


def test_missing_optional_modules_give_empty_values() -> None:
    study = build_study()
    for module in ("armsInterventionsModule", "contactsLocationsModule", "designModule"):
        del study["protocolSection"][module]
    record = parse_study(study)
    assert record.interventions == ()
    assert record.locations == ()
    assert record.phases == ()
    assert record.enrollment is None


@pytest.mark.parametrize(
    ("study", "reason"),
    [
        ([], "JSON object"),
        ({"hasResults": False}, "no protocolSection"),
        ({"protocolSection": {"identificationModule": {}}}, "nctId"),
        ({"protocolSection": {"identificationModule": {"nctId": "12345"}}}, "nctId"),
        ({"protocolSection": "text"}, "should be an object"),
    ],
)
def test_unreadable_records_raise_record_error_with_reason(study: object, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        parse_study(study)


def test_wrong_types_inside_a_record_name_the_field_and_the_nct_id() -> None:
    study = build_study("NCT90000007", **{"designModule.phases": "PHASE2"})
    with pytest.raises(RecordError, match="phases") as err:
        parse_study(study)
    assert err.value.record_id == "NCT90000007"


def test_unknown_enum_values_are_kept_as_given() -> None:
    study = build_study(**{"statusModule.overallStatus": "SOME_NEW_STATUS"})
    assert parse_study(study).overall_status == "SOME_NEW_STATUS"


def test_content_hash_ignores_key_order_but_not_content() -> None:
    a = {"x": 1, "y": [1, 2]}
    assert content_hash(a) == content_hash({"y": [1, 2], "x": 1})
    assert content_hash(a) != content_hash({"x": 2, "y": [1, 2]})


@pytest.mark.parametrize(
    ("geo", "expected"),
    [
        ({"lat": 42.0, "lon": -71.0}, (42.0, -71.0)),
        ({"lat": float("nan"), "lon": 10}, (None, 10.0)),
        ({"lat": 91, "lon": 181}, (None, None)),
        ({"lat": "42", "lon": True}, (None, None)),
    ],
)
def test_coordinates_outside_the_globe_or_not_numbers_are_dropped(
    geo: dict, expected: tuple
) -> None:
    study = build_study(
        **{"contactsLocationsModule.locations": [{"facility": "X", "geoPoint": geo}]}
    )
    location = parse_study(study).locations[0]
    assert (location.latitude, location.longitude) == expected


@pytest.mark.parametrize("count", [-1, 2**40, True, "40"])
def test_enrollment_that_no_column_can_hold_is_dropped(count: object) -> None:
    study = build_study(**{"designModule.enrollmentInfo": {"count": count}})
    assert parse_study(study).enrollment is None
