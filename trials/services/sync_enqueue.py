"""Start a registry sync from outside the schedule (the admin's "run a sync now")."""

from __future__ import annotations


def sync_enqueue() -> str:
    """Queue one incremental registry sync on the Celery worker; returns the task id.

    The task takes the database sync lock itself, so a second click while a sync runs
    queues a task that ends at once with "not started".
    """
    from trials.tasks import sync_registry  # lazy: keeps Celery out of module import time

    result = sync_registry.delay()
    return str(result.id)
