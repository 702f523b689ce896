"""Settings fail loudly on bad environment values: each case starts a fresh interpreter."""

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    environ.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import screener.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        cwd=REPO_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off() -> None:
    result = _load_settings(DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_settings_allow_development_key_in_debug() -> None:
    result = _load_settings(DEBUG="true", SECRET_KEY="", DATABASE_URL="sqlite:///x.sqlite3")
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "perhaps", "is not a boolean"),
        ("CTGOV_READ_TIMEOUT", "slow", "is not a number"),
        ("CTGOV_PAGE_SIZE", "5000", "above the maximum"),
        ("API_THROTTLE_RATE", "lots", "API_THROTTLE_RATE"),
        ("DATABASE_URL", "nosuchdb://x", "DATABASE_URL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
    ],
)
def test_settings_reject_bad_values_with_the_variable_named(
    name: str, value: str, message: str
) -> None:
    result = _load_settings(SECRET_KEY="k" * 50, **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_postgres_url_adds_contrib_postgres() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import screener.settings as s; print('django.contrib.postgres' in s.INSTALLED_APPS)",
        ],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "SECRET_KEY": "k" * 50,
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "True", result.stderr
