"""The production stack, run for real: gunicorn, a Celery worker and Celery beat as separate
processes on the machine's PostgreSQL and Redis, syncing from a local registry-shaped server.

Beat triggers the sync, the worker runs it, the web answers over HTTP with the synced
trials; then the worker is killed mid-sync, a new one starts, and the run resumes and
completes. Runs in CI's PostgreSQL pass (DATABASE_URL on PostgreSQL, Redis broker).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from bench import wrk
from tests.conftest import ARTIFACTS, REPO_ROOT, build_study
from tests.fake_registry import FakeRegistry, Fault

pytestmark = pytest.mark.e2e

DATABASE_URL = os.environ.get("DATABASE_URL", "")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
if not DATABASE_URL.startswith("postgres") or not BROKER_URL.startswith("redis"):
    pytest.skip(
        "end-to-end stack test needs DATABASE_URL on PostgreSQL and CELERY_BROKER_URL on Redis "
        "(CI's PostgreSQL pass sets both)",
        allow_module_level=True,
    )

import psycopg  # noqa: E402  (only needed, and only importable, in the PostgreSQL pass)

E2E_DB = "screener_e2e"
E2E_BROKER_DB = 14  # a Redis database of its own, flushed before the run
# Seconds of wrk load on each endpoint (two threads, four connections): a few hundred
# requests, well inside the 20 s that the slowed-down sync takes.
LOAD_SECONDS = 5


def _server_url(url: str, db: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Stack:
    """Processes started for the test, each in its own session so it can be killed whole."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def start(self, name: str, *cmd: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            proc = self.procs[name]
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill(name)
            else:
                self.procs.pop(name)


def _fresh_database() -> None:
    with psycopg.connect(_server_url(DATABASE_URL, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {E2E_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {E2E_DB}")


def _query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(_server_url(DATABASE_URL, E2E_DB)) as conn:
        return conn.execute(sql, params).fetchall()


def _studies(count: int, start: int, updated: str) -> list[dict[str, Any]]:
    return [
        build_study(
            f"NCT8{n:07d}",
            **{
                "statusModule.lastUpdatePostDateStruct": {"date": updated},
                "identificationModule.briefTitle": f"Aldesleukin study number {n}",
            },
        )
        for n in range(start, start + count)
    ]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Stack, FakeRegistry, int]]:
    _fresh_database()
    redis_url = BROKER_URL.rsplit("/", 1)[0] + f"/{E2E_BROKER_DB}"
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    registry = FakeRegistry(_studies(12, 1, "2025-01-15"), data_timestamp="2025-01-15T09:00:00")
    registry.start()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _server_url(DATABASE_URL, E2E_DB),
        "CELERY_BROKER_URL": redis_url,
        "CTGOV_API_BASE": registry.url,
        "CTGOV_PAGE_SIZE": "5",
        "CTGOV_REQUESTS_PER_MINUTE": "0",
        "CTGOV_BACKOFF_FACTOR": "0.1",
        "SECRET_KEY": "e2e-secret-key-not-for-deployment-0123456789abcdef",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "SCREENER_VAR_DIR": str(tmp_path / "var"),
    }
    stack = Stack(env, tmp_path)
    try:
        yield stack, registry, port
    finally:
        stack.stop_all()
        registry.stop()
        for log in sorted(tmp_path.glob("*.log")):
            sys.stdout.write(f"--- {log.name} (tail) ---\n{log.read_text()[-3000:]}\n")


def test_beat_worker_and_web_sync_serve_and_survive_a_killed_worker(stack) -> None:
    stack, registry, port = stack
    stack.manage("migrate", "--noinput")
    stack.manage("collectstatic", "--noinput")
    # A fast schedule for the test: every 2 seconds instead of daily.
    stack.manage(
        "shell",
        "-c",
        "from django_celery_beat.models import IntervalSchedule, PeriodicTask;"
        "every, _ = IntervalSchedule.objects.get_or_create(every=2, period='seconds');"
        "PeriodicTask.objects.filter(name='sync-registry-daily')"
        ".update(interval=every, crontab=None)",
    )
    stack.start(
        "web",
        sys.executable,
        "-m",
        "gunicorn",
        "screener.wsgi:application",
        "--config",
        "screener/gunicorn.conf.py",
    )
    stack.start(
        "worker",
        sys.executable,
        "-m",
        "celery",
        "-A",
        "screener",
        "worker",
        "--concurrency=1",
        "--loglevel=INFO",
    )
    stack.start(
        "beat",
        sys.executable,
        "-m",
        "celery",
        "-A",
        "screener",
        "beat",
        "--loglevel=INFO",
        "--max-interval=1",
    )

    # 1. Beat triggers the first (full) sync; the worker runs it.
    _wait_for(
        lambda: _query(
            "SELECT 1 FROM trials_syncrun WHERE source='registry' AND outcome='succeeded'"
        ),
        "the first sync to succeed",
    )
    assert _query("SELECT count(*) FROM trials_trial")[0][0] == 12

    # 2. The web, over HTTP, lists the synced trials.
    def page() -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/trials/", timeout=5) as r:
                return r.read().decode()
        except OSError:
            return ""

    body = _wait_for(page, "gunicorn to answer")
    assert "12 trials" in body and "NCT80000001" in body
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
        assert r.status == 200

    # 3. New registry data, served slowly; kill the worker in the middle of that sync.
    today = dt.date.today().isoformat()
    registry.set_studies([*_studies(12, 1, "2025-01-15"), *_studies(30, 100, today)])
    registry.faults.extend(Fault.delay(1.5, path="/studies") for _ in range(8))
    registry.data_timestamp = f"{today}T09:00:00"
    run_id = _wait_for(
        lambda: _query(
            "SELECT id FROM trials_syncrun WHERE outcome='running' "
            "AND (checkpoint->>'pages_done')::int >= 2"
        ),
        "the second sync to commit two pages",
    )[0][0]
    stack.kill("worker")
    pages_at_kill = _query(
        "SELECT checkpoint->>'pages_done' FROM trials_syncrun WHERE id=%s", run_id
    )
    assert _query("SELECT outcome FROM trials_syncrun WHERE id=%s", run_id)[0][0] == "running"

    # 4. A new worker; beat's next trigger takes the dead run over and completes it.
    stack.start(
        "worker2",
        sys.executable,
        "-m",
        "celery",
        "-A",
        "screener",
        "worker",
        "--concurrency=1",
        "--loglevel=INFO",
    )
    _wait_for(
        lambda: _query("SELECT 1 FROM trials_syncrun WHERE id=%s AND outcome='succeeded'", run_id),
        "the interrupted sync to resume and succeed",
        timeout=120,
    )
    assert _query("SELECT count(*) FROM trials_trial")[0][0] == 42
    # Every record exactly once, and one version per trial (nothing written twice).
    assert _query("SELECT count(*) FROM trials_trialversion")[0][0] == 42
    done = _query(
        "SELECT checkpoint->>'pages_done', created FROM trials_syncrun WHERE id=%s", run_id
    )
    assert int(done[0][0]) > int(pages_at_kill[0][0])
    assert done[0][1] == 30

    # 5. Load while a sync runs: wrk against the results page and the screen API, both at
    # once, for LOAD_SECONDS; not one request may fail.
    if not wrk.available():
        pytest.skip("wrk is not installed (apt-get install wrk; .ci/run installs it)")
    registry.set_studies(
        [*_studies(12, 1, "2025-01-15"), *_studies(30, 100, today), *_studies(20, 200, today)]
    )
    # Slow pages (10 x 2 s) keep the sync running for longer than the load takes.
    registry.faults.extend(Fault.delay(2.0, path="/studies") for _ in range(10))
    registry.data_timestamp = f"{today}T10:00:00"
    load_run = _wait_for(
        lambda: _query("SELECT id FROM trials_syncrun WHERE outcome='running' AND id > %s", run_id),
        "the third sync to start",
    )[0][0]
    report = _load(port, stack.logs)
    still_running = _query("SELECT outcome FROM trials_syncrun WHERE id=%s", load_run)[0][0]
    _wait_for(
        lambda: _query(
            "SELECT 1 FROM trials_syncrun WHERE id=%s AND outcome='succeeded'", load_run
        ),
        "the sync under load to succeed",
        timeout=120,
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "e2e-load-during-sync.json").write_text(
        json.dumps({"sync_outcome_when_load_ended": still_running, **report}, indent=2)
    )
    sys.stdout.write(f"load during sync: {json.dumps(report)}\n")
    for name, figures in report.items():
        assert figures["requests"] > 0, (name, figures)
        assert figures["errors"] == 0, (name, figures)
    # The load overlapped the sync (it was still running when wrk finished), and the sync
    # under load lost nothing.
    assert still_running == "running"
    assert _query("SELECT count(*) FROM trials_trial")[0][0] == 62


def _load(port: int, folder: Path) -> dict[str, dict[str, Any]]:
    """wrk against POST / (with a CSRF token and its cookie) and POST /api/v1/screen/ at
    the same time; returns wrk's figures for each."""
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    form = session.get(f"{base}/", timeout=10)
    form.raise_for_status()
    token = session.cookies["csrftoken"]
    answers = {"condition": "melanoma", "stage": "IV", "prior_treatments": "checkpoint_inhibitor"}
    page_body = "&".join(f"{k}={v}" for k, v in {**answers, "csrfmiddlewaretoken": token}.items())
    api_body = json.dumps({**answers, "prior_treatments": [answers["prior_treatments"]]})
    scripts = {
        "results_page": (
            f"{base}/",
            wrk.post_script(
                [page_body],
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={token}",
                },
            ),
        ),
        "screen_api": (
            f"{base}/api/v1/screen/",
            wrk.post_script(
                [api_body],
                {"Content-Type": "application/json"},
            ),
        ),
    }
    # Each endpoint's body must work before load is put on it.
    assert (
        session.post(
            f"{base}/",
            data=page_body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        ).status_code
        == 200
    )
    assert (
        requests.post(
            f"{base}/api/v1/screen/",
            data=api_body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        ).status_code
        == 200
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {}
        for name, (url, script) in scripts.items():
            path = folder / f"{name}.lua"
            path.write_text(script)
            futures[name] = pool.submit(wrk.run, url, path, seconds=LOAD_SECONDS, connections=4)
        return {name: future.result() for name, future in futures.items()}
