"""The production configuration: `check --deploy` is clean, and docker-compose.yml (which
cannot run here) stays consistent with the native processes the end-to-end test starts."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from tests.conftest import REPO_ROOT

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x7#kq!v2$Lr9@Zp4&Wm8^Tn6*Yb3(Hc5)Jd1-Fg0=Se+Ua_Qo~Ei|Rw<Ty>Ul",
    "ALLOWED_HOSTS": "screener.example.org",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "USE_X_FORWARDED_PROTO": "true",
    "DATABASE_URL": "sqlite:///unused.sqlite3",
}


def test_check_deploy_prints_no_warnings_with_production_settings() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECRET_KEY"))}
    env.update(PRODUCTION_ENV)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def test_compose_runs_web_worker_beat_postgres_and_redis() -> None:
    services = _compose()["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(services)
    assert services["web"]["command"][:2] == ["gunicorn", "screener.wsgi:application"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "screener", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "screener", "beat"]


def test_compose_environment_names_only_settings_that_exist() -> None:
    settings_source = (REPO_ROOT / "screener" / "settings.py").read_text()
    env = _compose()["services"]["web"]["environment"]
    for name in env:
        assert f'"{name}"' in settings_source, f"{name} is not read by screener/settings.py"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["CELERY_BROKER_URL"].startswith("redis://")
    assert env["DEBUG"] == "false"


def test_compose_uses_the_gunicorn_config_the_native_run_uses() -> None:
    web = _compose()["services"]["web"]["command"]
    assert web[web.index("--config") + 1] == "screener/gunicorn.conf.py"
    assert (REPO_ROOT / "screener" / "gunicorn.conf.py").is_file()
