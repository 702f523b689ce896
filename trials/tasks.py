"""Celery tasks: thin wrappers that take ids or flags (never patient data) and call a service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from trials.services.sync import SyncAlreadyRunning, SyncInterrupted, sync_summary
from trials.services.sync import sync_registry as sync_service


@shared_task(
    name="trials.tasks.sync_registry",
    # A registry outage or a dropped database connection: the run is left resumable and the
    # task comes back later to continue from its checkpoint.
    autoretry_for=(SyncInterrupted, OperationalError),
    # Three retries 10, 20, 40 minutes apart (plus jitter) ride out a registry outage of
    # over an hour without hammering it; after that the next daily run takes over.
    max_retries=3,
    retry_backoff=600,
    retry_backoff_max=3600,
    retry_jitter=True,
    # A scoped full sync is a few thousand studies (minutes at 50 requests a minute); an
    # hour means something is stuck. The hard limit gives the soft one a minute to unwind.
    soft_time_limit=3600,
    time_limit=3660,
)
def sync_registry(full: bool = False, force: bool = False) -> str:
    try:
        run = sync_service(full=full, force=force)
    except SyncAlreadyRunning as exc:
        return f"not started: {exc}"
    return sync_summary(run)
