"""Property-based tests of the API from its own OpenAPI schema, with schemathesis.

The schema is the one the app serves at /api/schema/ (drf-spectacular); requests go to the
Django WSGI application in process, against the test database. Every GET and POST of the
public API, with valid and invalid data: never a 5xx, and every 4xx says what was wrong
(a JSON "detail", or a message per field). The curators' PATCH is sent without
credentials (or with made-up ones) and must be refused with 401/403.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.core import signals
from django.db import close_old_connections
from django.test import Client, override_settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from screener.wsgi import application
from tests.conftest import create_trial
from tests.curation.fixtures import PASSWORD, make_user

# schemathesis sends `Host: localhost`; the test settings allow only Django's testserver.
with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

PUBLIC_METHODS = {"GET", "POST"}
CURATION_PATH = "/api/v1/trials/{nct_id}/facets/"
KNOWN_TRIALS = ("NCT10000001", "NCT10000002")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Half the time ask for a trial that exists, so detail pages are not all 404s."""
    if not isinstance(path_parameters, dict) or "nct_id" not in path_parameters:
        return st.just(path_parameters)
    return st.one_of(
        st.just(path_parameters),
        st.sampled_from(KNOWN_TRIALS).map(lambda nct_id: {**path_parameters, "nct_id": nct_id}),
    )


@pytest.fixture
def api_env(db: None, settings: Any) -> Iterator[None]:
    """Two trials in the test database; requests through the raw WSGI handler kept on the
    test transaction, as Django's test client keeps them."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.PASSWORD_HASHERS = FAST_HASHERS  # each made-up Basic login checks a password
    create_trial(
        KNOWN_TRIALS[0],
        families=("IL2", ""),
        conditions=("Melanoma",),
        stages=["III", "IV"],
        prior={"excluded": ["interleukin"]},
        washout=[
            {
                "class": "chemotherapy",
                "text": "Chemotherapy within 4 weeks before enrolment",
                "section": "exclusion",
            }
        ],
    )
    create_trial(
        KNOWN_TRIALS[1],
        title="Interferon alfa after nephrectomy",
        families=("IFN_ALPHA",),
        conditions=("Renal Cell Carcinoma",),
        phases=("PHASE3",),
        stages=["II", "III"],
        resectability="resectable",
        prior={"required": ["surgery"]},
        locations=(
            {
                "facility": "Hôpital Exemple",
                "city": "Paris",
                "country": "France",
                "latitude": 48.85,
                "longitude": 2.35,
            },
        ),
    )
    # The WSGI handler closes "old" connections at each request's start and end, which
    # inside the test's transaction would drop it; the test client disconnects these too.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _messages(errors: Any) -> list[str]:
    """The messages in a DRF error body ({field: [message, ...]}, nested for nested
    fields and list items); raises if any field has none."""
    if isinstance(errors, str):
        assert errors.strip(), "an empty error message"
        return [errors]
    if isinstance(errors, list):
        assert errors, "a field with an empty list of messages"
        return [m for item in errors for m in _messages(item)]
    if isinstance(errors, dict):
        assert errors, "an empty error object"
        return [m for value in errors.values() for m in _messages(value)]
    raise AssertionError(f"not an error message: {errors!r}")


def client_error_has_a_message(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx answers JSON with a non-empty "detail", or with messages per field."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), (
        f"{response.status_code} answered {content_type!r}, not JSON: {response.text[:200]!r}"
    )
    body = json.loads(response.content)
    assert isinstance(body, dict), f"{response.status_code} with a non-object body: {body!r}"
    if "detail" in body:
        assert isinstance(body["detail"], str), f"detail is not text: {body!r}"
        assert body["detail"].strip(), f"{response.status_code} with an empty detail"
    else:
        try:
            _messages(body)
        except AssertionError as exc:
            raise AssertionError(f"{response.status_code} {body!r}: {exc}") from None
    return None


def curation_refused_without_credentials(ctx: Any, response: Any, case: Any) -> bool | None:
    assert response.status_code in (401, 403), (
        f"PATCH without a curator's credentials answered {response.status_code}: "
        f"{response.text[:200]!r}"
    )
    return None


operations = schema.include(method=[*PUBLIC_METHODS, "PATCH"])


@operations.parametrize()
@hypothesis_settings(
    max_examples=30,
    deadline=None,
    # The database fixture is set up once per operation, not per example: on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_errors_and_explains_refusals(case: Any, api_env: None) -> None:
    checks = [not_a_server_error, client_error_has_a_message]
    if case.path == CURATION_PATH:
        checks.append(curation_refused_without_credentials)
    response = case.call()
    case.validate_response(response, checks=checks)


def test_every_operation_is_covered() -> None:
    """The operations the property test runs over: a new one in the schema is tested
    without further work, and one dropped from it (or filtered out) is noticed here."""
    found = {(op.method.upper(), op.path) for op in _all_operations()}
    assert found == {
        ("GET", "/api/v1/trials/"),
        ("GET", "/api/v1/trials/{nct_id}/"),
        ("POST", "/api/v1/screen/"),
        ("GET", "/api/v1/vocabulary/"),
        ("PATCH", CURATION_PATH),
    }


def _all_operations() -> list[Any]:
    return [result.ok() for result in operations.get_all_operations()]


# --- Found by the run above: Basic-auth failures with an unreadable body ------------------
# django-axes read the body of a failed login (request.POST) through DRF, which parsed it;
# a body that did not parse raised out of axes before the failure was counted, so such
# guesses were never locked out (and answered 415/400, telling them apart from a right
# password's 404 for a made-up trial). Fixed by trials.api.authentication.


@pytest.fixture
def curator_user(db: None, settings: Any) -> Any:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_user("curator")


def _basic(password: str) -> str:
    token = base64.b64encode(f"curator-user:{password}".encode()).decode()
    return f"Basic {token}"


def _patch(client: Client, body: str, content_type: str, password: str) -> Any:
    return client.generic(
        "PATCH",
        "/api/v1/trials/NCT19999999/facets/",
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=_basic(password),
    )


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", '{"note": "guess"}'),
        ("text/plain", "guess"),
        ("application/json", "{not json"),
        ("application/x-www-form-urlencoded", "note=guess"),
    ],
)
def test_failed_basic_auth_is_refused_and_counted_whatever_the_body(
    curator_user: Any, content_type: str, body: str
) -> None:
    client = Client()
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        refused = _patch(client, body, content_type, "wrong-password")
        assert refused.status_code == 403
        assert refused.json()["detail"]
    assert AccessAttempt.objects.get(username="curator-user").failures_since_start == limit
    # Locked out: the right password is refused too (the trial does not exist: 404 if not).
    locked = _patch(client, '{"note": "x"}', "application/json", PASSWORD)
    assert locked.status_code == 403


def test_the_right_basic_password_still_authenticates(curator_user: Any) -> None:
    for content_type, body in [("application/json", '{"note": "x"}'), ("text/plain", "x")]:
        answer = _patch(Client(), body, content_type, PASSWORD)
        # Past authentication and permission: there is no such trial.
        assert answer.status_code == 404, answer.content


def test_the_schema_view_is_no_password_oracle(curator_user: Any) -> None:
    """Wrong passwords with an unreadable body: counted by axes, or not looked at."""

    def get_schema(password: str) -> int:
        return (
            Client()
            .generic(
                "GET",
                "/api/schema/",
                "guess",
                content_type="text/plain",
                HTTP_AUTHORIZATION=_basic(password),
            )
            .status_code
        )

    right = get_schema(PASSWORD)
    wrong = [get_schema("wrong-password") for _ in range(django_settings.AXES_FAILURE_LIMIT)]
    if not AccessAttempt.objects.filter(username="curator-user").exists():
        assert wrong == [right] * len(wrong), f"right password {right}, wrong ones {wrong}"
