"""Answers are never stored: no row, no session, no log line (web and API screens)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client

pytestmark = pytest.mark.django_db

# Values distinctive enough that finding them anywhere means an answer leaked.
CONDITION = "Zyxwv melanoma"
AGE = 87
LINES = 7


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def web_search(client: Client) -> Any:
    return client.post(
        "/",
        {
            "condition": CONDITION,
            "stage": "IV",
            "age": str(AGE),
            "prior_lines": str(LINES),
            "prior_treatments": ["interleukin"],
            "sex": "female",
            "include_conflicts": "on",
        },
    )


def web_trial_page(client: Client) -> Any:
    return client.post(
        "/trials/NCT10000001/", {"condition": CONDITION, "age": str(AGE), "prior_lines": str(LINES)}
    )


def web_csv(client: Client) -> Any:
    return client.post(
        "/results.csv", {"condition": CONDITION, "age": str(AGE), "prior_lines": str(LINES)}
    )


def api_screen(client: Client) -> Any:
    body = {
        "condition": CONDITION,
        "stage": "IV",
        "age": AGE,
        "prior_lines": LINES,
        "prior_treatments": ["interleukin"],
        "include_conflicts": True,
    }
    return client.post("/api/v1/screen/", json.dumps(body), content_type="application/json")


def api_screen_invalid(client: Client) -> Any:
    body = {"condition": CONDITION, "age": AGE, "prior_lines": LINES, "stage": "V"}
    return client.post("/api/v1/screen/", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    "request_answers",
    [web_search, web_trial_page, web_csv, api_screen, api_screen_invalid],
    ids=lambda f: f.__name__,
)
def test_a_screen_writes_no_row_no_session_and_no_log_line(
    client: Client,
    trial_factory: Any,
    caplog: pytest.LogCaptureFixture,
    request_answers: Callable[[Client], Any],
) -> None:
    trial_factory("NCT10000001", stages=["IV"], conditions=("Zyxwv melanoma",))
    client.get("/")  # a first visit: whatever cookies the form page sets
    before = row_counts()
    with caplog.at_level(logging.DEBUG):
        response = request_answers(client)
    assert response.status_code in {200, 400}
    assert row_counts() == before
    assert Session.objects.count() == 0
    assert "sessionid" not in response.cookies
    assert "sessionid" not in client.cookies
    logged = "\n".join(
        f"{record.getMessage()} {record.args!r} {getattr(record, 'request', '')!r}"
        for record in caplog.records
    )
    for value in (CONDITION, "Zyxwv", str(AGE), f"prior_lines={LINES}"):
        assert value not in logged
    assert "no-store" in response["Cache-Control"]
