import pytest
from django.core.exceptions import ImproperlyConfigured

from screener.env import env_bool, env_float, env_int, env_list, env_str, env_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("Yes", True),
        ("on", True),
        ("false", False),
        ("False", False),
        ("0", False),
        ("no", False),
        ("NO", False),
        ("off", False),
        (" true ", True),
    ],
)
def test_env_bool_reads_every_documented_spelling(raw: str, expected: bool) -> None:
    assert env_bool("FLAG", not expected, environ={"FLAG": raw}) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "y e s", "enabled"])
def test_env_bool_rejects_anything_else(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False, environ={"FLAG": raw})


def test_env_bool_uses_default_when_unset_or_empty() -> None:
    assert env_bool("FLAG", True, environ={}) is True
    assert env_bool("FLAG", False, environ={"FLAG": ""}) is False


@pytest.mark.parametrize("raw", ["ten", "1.5", "", "0x10"])
def test_env_int_rejects_non_integers(raw: str) -> None:
    if raw == "":
        assert env_int("N", 7, environ={"N": raw}) == 7
        return
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("N", 7, environ={"N": raw})


def test_env_int_enforces_bounds() -> None:
    assert env_int("N", 1, minimum=0, maximum=10, environ={"N": "10"}) == 10
    with pytest.raises(ImproperlyConfigured, match="above the maximum"):
        env_int("N", 1, maximum=10, environ={"N": "11"})
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("N", 1, minimum=0, environ={"N": "-1"})


@pytest.mark.parametrize("raw", ["fast", "nan", "inf"])
def test_env_float_rejects_non_finite_or_text(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        env_float("X", 1.0, environ={"X": raw})


def test_env_float_reads_numbers_and_minimum() -> None:
    assert env_float("X", 1.0, environ={"X": "2.5"}) == 2.5
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_float("X", 1.0, minimum=0.0, environ={"X": "-0.1"})


def test_env_list_splits_on_commas_and_drops_empties() -> None:
    assert env_list("HOSTS", ["a"], environ={"HOSTS": "x.org, y.org,,"}) == ["x.org", "y.org"]
    assert env_list("HOSTS", ["a"], environ={}) == ["a"]


def test_env_str_default_on_empty() -> None:
    assert env_str("S", "d", environ={"S": ""}) == "d"
    assert env_str("S", "d", environ={"S": "v"}) == "v"


@pytest.mark.parametrize("raw", ["clinicaltrials.gov/api/v2", "ftp://x/y", "https://"])
def test_env_url_rejects_urls_without_http_scheme_or_host(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="CTGOV_API_BASE"):
        env_url("CTGOV_API_BASE", "https://example.org", environ={"CTGOV_API_BASE": raw})


def test_env_url_strips_trailing_slash() -> None:
    got = env_url("U", "https://d", environ={"U": "http://127.0.0.1:9/api/v2/"})
    assert got == "http://127.0.0.1:9/api/v2"
