"""Users in each role and a trial loaded through the real ingest path, for curation tests.

Shared by tests/curation and tests/admin (each conftest imports these fixtures).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.test import Client

from tests.conftest import StudyFactory
from trials.models import Trial
from trials.services.ingest import trial_ingest

PASSWORD = "correct-horse-battery-staple-42"

CHANGED_CRITERIA = (
    "Inclusion Criteria:\n\n"
    "* Unresectable stage III melanoma\n"
    "* Age 18 years or older\n\n"
    "Exclusion Criteria:\n\n"
    "* Prior treatment with interleukin-2\n"
    "* Prior treatment with <b>anti-PD-1</b> & anti-CTLA-4 is not allowed\n"
)


def ensure_curator_group() -> Group:
    """The Curator group as migration 0003 makes it. A transactional test's flush empties
    the tables (and serialized rollback cannot bring them back once another transactional
    test recreated the content types), so tests that run after one make it again."""
    group = Group.objects.filter(name="Curator").first()
    if group is not None:
        return group
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("trials.migrations.0003_curator_group")
    state = MigrationLoader(connection).project_state(("trials", "0003_curator_group"))
    migration.create_curator_group(state.apps, None)
    return Group.objects.get(name="Curator")


def make_user(role: str) -> Any:
    """anonymous | staff (admin access, no permissions) | viewer (staff who may look but not
    curate) | curator (the Curator group) | superuser."""
    from django.contrib.auth import get_user_model

    if role == "anonymous":
        return AnonymousUser()
    User = get_user_model()
    existing = User.objects.filter(username=f"{role}-user").first()
    if existing is not None:
        return existing
    if role == "superuser":
        return User.objects.create_superuser(f"{role}-user", f"{role}@example.org", PASSWORD)
    user = User.objects.create_user(f"{role}-user", f"{role}@example.org", PASSWORD)
    user.is_staff = True
    user.save()
    if role == "curator":
        user.groups.add(ensure_curator_group())
    elif role == "viewer":
        user.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="trials", codename__in=["view_trial", "view_facet"]
            )
        )
    elif role != "staff":
        raise ValueError(role)
    return user


@pytest.fixture
def user_in_role() -> Callable[[str], Any]:
    return make_user


@pytest.fixture
def client_as(client: Client) -> Callable[[str], Client]:
    """A test client logged in with the given role (anonymous: not logged in)."""

    def login(role: str) -> Client:
        user = make_user(role)
        if role != "anonymous":
            client.force_login(user)
        return client

    return login


@pytest.fixture
def curator() -> Any:
    return make_user("curator")


@pytest.fixture
def trial(make_study: StudyFactory) -> Trial:
    """NCT90000001 as make_study builds it: stages III, IV; IL-2 excluded."""
    trial_ingest(raw=make_study("NCT90000001"))
    return Trial.objects.get(registry_id="NCT90000001")


@pytest.fixture
def changed_study(make_study: StudyFactory) -> dict[str, Any]:
    """A later registry version of NCT90000001 whose criteria text changed."""
    return make_study(
        "NCT90000001",
        **{
            "eligibilityModule.eligibilityCriteria": CHANGED_CRITERIA,
            "statusModule.lastUpdatePostDateStruct": {"date": "2025-09-15"},
        },
    )
