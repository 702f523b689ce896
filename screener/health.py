"""GET /healthz for orchestrators: is the database reachable, is the broker reachable."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from screener.celery import app

logger = logging.getLogger(__name__)

# Short: a health probe must answer before the orchestrator's own timeout.
BROKER_TIMEOUT_SECONDS = 3


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not healthy", with the reason
        return f"{type(exc).__name__}: {exc}"
    return None


def _broker_ok() -> str | None:
    try:
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    problems = {
        name: problem
        for name, problem in (("database", _database_ok()), ("broker", _broker_ok()))
        if problem
    }
    for name, problem in problems.items():
        logger.warning("health check: %s unreachable: %s", name, problem)
    body = {
        "status": "error" if problems else "ok",
        "database": "error" if "database" in problems else "ok",
        "broker": "error" if "broker" in problems else "ok",
    }
    return JsonResponse(body, status=503 if problems else 200)
