"""Admin hardening (django-axes lockout, configurable admin URL) and the Curator group."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.urls import clear_url_caches, reverse

from tests.conftest import REPO_ROOT
from tests.curation.fixtures import PASSWORD, make_user

pytestmark = pytest.mark.django_db


# --- django-axes --------------------------------------------------------------------------


def login(client: Client, password: str) -> int:
    response = client.post(
        reverse("admin:login"),
        {"username": "curator-user", "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR="203.0.113.7",
    )
    return response.status_code


@pytest.mark.parametrize(("failures", "locked"), [(4, False), (5, True)])
def test_admin_login_locks_out_after_five_failures(failures: int, locked: bool) -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    make_user("curator")
    client = Client()
    statuses = [login(client, "wrong-password") for _ in range(failures)]
    # The form comes back with an error until the fifth failure, which locks the account.
    assert statuses == [200] * 4 + ([429] if failures == 5 else [])
    status = login(client, PASSWORD)  # the right password, after the failures
    if locked:
        assert status == 429
        assert "_auth_user_id" not in client.session
    else:
        assert status == 302
        assert client.session["_auth_user_id"]


def test_lockout_is_recorded_and_keeps_the_account_out() -> None:
    from axes.models import AccessAttempt

    make_user("curator")
    client = Client()
    for _ in range(5):
        login(client, "wrong-password")
    attempt = AccessAttempt.objects.get(username="curator-user")
    assert attempt.failures_since_start == 5
    assert login(client, PASSWORD) == 429
    assert Client().get(reverse("admin:index")).status_code == 302  # still not logged in


# --- ADMIN_URL ----------------------------------------------------------------------------


@pytest.fixture
def admin_at_backstage() -> Iterator[None]:
    import screener.urls

    with override_settings(ADMIN_URL="backstage-7f3/"):
        importlib.reload(screener.urls)
        clear_url_caches()
        try:
            yield
        finally:
            pass
    importlib.reload(screener.urls)
    clear_url_caches()


def test_admin_is_served_at_the_configured_url(admin_at_backstage: None) -> None:
    client = Client()
    assert reverse("admin:index") == "/backstage-7f3/"
    assert reverse("admin:trials_trial_review_queue").startswith("/backstage-7f3/")
    assert client.get("/admin/").status_code == 404
    response = client.get("/backstage-7f3/")
    assert response.status_code == 302
    assert response["Location"].startswith("/backstage-7f3/login/")
    client.force_login(make_user("curator"))
    assert client.get("/backstage-7f3/trials/trial/review-queue/").status_code == 200


def test_admin_url_setting_is_read_from_the_environment() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "screener.settings",
        "ADMIN_URL": "/curation-desk",
        "SECRET_KEY": "test-only-secret-key-not-for-deployment-0123456789",
        "DEBUG": "false",
        "CELERY_BROKER_URL": "memory://",
    }
    code = (
        "import django; django.setup(); from django.urls import reverse; "
        "print(reverse('admin:index'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "/curation-desk/"


# --- The Curator group --------------------------------------------------------------------

CURATOR_PERMISSIONS = {
    "django_celery_beat.view_crontabschedule",
    "django_celery_beat.view_intervalschedule",
    "django_celery_beat.view_periodictask",
    "trials.change_facet",
    "trials.run_sync",
    "trials.view_condition",
    "trials.view_criterion",
    "trials.view_facet",
    "trials.view_intervention",
    "trials.view_location",
    "trials.view_syncrun",
    "trials.view_trial",
    "trials.view_trialversion",
}


def test_curator_group_has_exactly_the_permissions_curation_needs() -> None:
    group = Group.objects.get(name="Curator")
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert held == CURATOR_PERMISSIONS


@pytest.mark.parametrize(
    "permission",
    [
        "trials.change_trial",
        "trials.delete_trial",
        "trials.add_facet",
        "trials.delete_facet",
        "trials.change_syncrun",
        "django_celery_beat.change_periodictask",
        "auth.change_user",
        "axes.delete_accessattempt",
    ],
)
def test_everything_else_stays_superuser_only(permission: str) -> None:
    assert not make_user("curator").has_perm(permission)
    assert make_user("superuser").has_perm(permission)


def test_run_sync_permission_is_named_for_people() -> None:
    from django.contrib.auth.models import Permission

    perm = Permission.objects.get(codename="run_sync", content_type__app_label="trials")
    assert perm.name == "Can run a registry sync now"
    assert perm.content_type.model == "syncrun"
