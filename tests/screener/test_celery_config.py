"""Pins the Celery settings and the beat schedule, so a change to either is deliberate."""

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from screener.celery import app


def test_celery_reads_django_settings_with_safe_task_defaults() -> None:
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.timezone == "UTC"
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    # The schedule lives in the database only, where the admin edits it.
    assert not conf.beat_schedule


def test_default_broker_needs_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import screener.settings as s; "
            "print(s.CELERY_BROKER_URL, sorted(s.CELERY_BROKER_TRANSPORT_OPTIONS))",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert out.stdout.startswith(
        "filesystem:// ['control_folder', 'data_folder_in', 'data_folder_out'"
    ), out.stderr


@pytest.mark.django_db
def test_migrations_create_the_daily_sync_schedule_at_15_utc() -> None:
    task = PeriodicTask.objects.get(name="sync-registry-daily")
    assert task.task == "trials.tasks.sync_registry"
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "15",
        "0",
        "UTC",
    )
    assert task.crontab.day_of_week == "*"


def test_registered_task_names() -> None:
    app.loader.import_default_modules()
    assert "trials.tasks.sync_registry" in app.tasks
