"""Who may do what on every curation path: anonymous, plain staff, a staff viewer without
the curation permission, a curator, a superuser. Each case checks the effect, not only the
status code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from trials.models import Facet, Provenance, ReviewStatus, SyncRun, Trial

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "staff", "viewer", "curator", "superuser")


def change_url(trial: Trial) -> str:
    return reverse("admin:trials_trial_change", args=[trial.pk])


def queue_url() -> str:
    return reverse("admin:trials_trial_review_queue")


def stages(trial: Trial) -> Facet:
    return Facet.objects.get(trial=trial, kind="stages")


@dataclass(frozen=True)
class Step:
    """One curation path: how to take it, and whether it took effect."""

    name: str
    allowed: frozenset[str]
    run: Callable[[Client, Trial], Any]
    took_effect: Callable[[Trial], bool]
    setup: Callable[[Trial], None] = lambda trial: None


def _flag_for_review(trial: Trial) -> None:
    Facet.objects.filter(trial=trial, kind="stages").update(review=ReviewStatus.NEEDS_REVIEW)


def _corrupt_extraction(trial: Trial) -> None:
    Facet.objects.filter(trial=trial, kind="stages").update(value=["I"])


def _action(name: str) -> Callable[[Client, Trial], Any]:
    def run(client: Client, trial: Trial) -> Any:
        return client.post(
            queue_url() + "?review=all",
            {"action": name, "_selected_action": [trial.pk], "index": 0, "select_across": 0},
        )

    return run


CURATORS = frozenset({"curator", "superuser"})
ADMIN_READERS = frozenset({"viewer", "curator", "superuser"})

STEPS = [
    Step(
        "open the review queue",
        ADMIN_READERS,
        run=lambda client, trial: client.get(queue_url()),
        took_effect=lambda trial: True,
    ),
    Step(
        "open the trial change page",
        ADMIN_READERS,
        run=lambda client, trial: client.get(change_url(trial)),
        took_effect=lambda trial: True,
    ),
    Step(
        "correct the stages",
        CURATORS,
        run=lambda client, trial: client.post(
            change_url(trial),
            {"_curate": "stages", "_action": "curate", "stages-stages": ["III"]},
        ),
        took_effect=lambda trial: stages(trial).value == ["III"],
    ),
    Step(
        "confirm a facet",
        CURATORS,
        run=lambda client, trial: client.post(
            change_url(trial), {"_curate": "stages", "_action": "confirm", "stages-note": "ok"}
        ),
        took_effect=lambda trial: stages(trial).review == ReviewStatus.CONFIRMED,
    ),
    Step(
        "mark a facet wrong",
        CURATORS,
        run=lambda client, trial: client.post(
            change_url(trial), {"_curate": "stages", "_action": "wrong"}
        ),
        took_effect=lambda trial: stages(trial).review == ReviewStatus.WRONG,
    ),
    Step(
        "action: mark reviewed",
        CURATORS,
        setup=_flag_for_review,
        run=_action("mark_reviewed"),
        took_effect=lambda trial: stages(trial).review == ReviewStatus.CONFIRMED,
    ),
    Step(
        "action: re-extract",
        CURATORS,
        setup=_corrupt_extraction,
        run=_action("reextract_facets"),
        took_effect=lambda trial: stages(trial).value == ["III", "IV"],
    ),
    Step(
        "API: PATCH facets",
        CURATORS,
        run=lambda client, trial: client.patch(
            reverse("trial-facets-curate", args=[trial.registry_id]),
            {"stages": ["III"]},
            content_type="application/json",
        ),
        took_effect=lambda trial: stages(trial).provenance == Provenance.CURATED,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_curation_paths_are_open_to_exactly_the_roles_allowed(
    trial: Trial, client_as: Callable[[str], Client], role: str, step: Step
) -> None:
    step.setup(trial)
    response = step.run(client_as(role), trial)
    allowed = role in step.allowed
    if allowed:
        assert response.status_code in {200, 302}, response.content[:500]
        assert step.took_effect(trial)
    else:
        if role == "anonymous" and not step.name.startswith("API"):
            assert response.status_code == 302
            assert reverse("admin:login") in response["Location"]
        elif step.name.startswith("action") and role == "viewer":
            # The viewer sees the queue, but the actions are not offered to them.
            assert response.status_code in {200, 302}
        else:
            assert response.status_code == 403
        if step.name not in {"open the review queue", "open the trial change page"}:
            assert not step.took_effect(trial)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("anonymous", False),
        ("staff", False),
        ("viewer", False),
        ("curator", True),
        ("superuser", True),
    ],
)
def test_run_sync_now_needs_the_run_sync_permission(
    client_as: Callable[[str], Client], role: str, allowed: bool
) -> None:
    with mock.patch("trials.admin.sync_enqueue", return_value="task-1") as enqueue:
        response = client_as(role).post(reverse("admin:trials_syncrun_run_now"))
    assert enqueue.called is allowed
    if allowed:
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:trials_syncrun_changelist")
    else:
        assert response.status_code in {302, 403}
        if role != "anonymous":
            assert response.status_code == 403


def test_run_sync_now_enqueues_the_celery_task(client_as: Callable[[str], Client]) -> None:
    client = client_as("curator")
    with mock.patch("trials.tasks.sync_registry.delay") as delay:
        delay.return_value.id = "abc"
        response = client.post(reverse("admin:trials_syncrun_run_now"), follow=True)
    delay.assert_called_once_with()
    assert "A registry sync was queued (task abc)" in response.content.decode()


def test_run_sync_now_refuses_get(client_as: Callable[[str], Client]) -> None:
    with mock.patch("trials.admin.sync_enqueue") as enqueue:
        response = client_as("curator").get(reverse("admin:trials_syncrun_run_now"))
    assert response.status_code == 405
    assert not enqueue.called


def test_run_sync_button_shows_only_with_the_permission(
    client_as: Callable[[str], Client],
) -> None:
    client = client_as("curator")
    page = client.get(reverse("admin:trials_syncrun_changelist")).content.decode()
    assert "Run a registry sync now" in page
    group = Group.objects.get(name="Curator")
    group.permissions.remove(group.permissions.get(codename="run_sync"))
    page = client.get(reverse("admin:trials_syncrun_changelist")).content.decode()
    assert "Run a registry sync now" not in page


@pytest.mark.parametrize(("role", "status"), [("staff", 403), ("curator", 200), ("superuser", 200)])
def test_sync_runs_are_readable_by_curators_and_never_editable(
    client_as: Callable[[str], Client], role: str, status: int
) -> None:
    from django.utils import timezone

    run = SyncRun.objects.create(started_at=timezone.now(), source="registry")
    client = client_as(role)
    assert client.get(reverse("admin:trials_syncrun_changelist")).status_code == status
    change = reverse("admin:trials_syncrun_change", args=[run.pk])
    client.post(change, {"outcome": "failed"})
    run.refresh_from_db()
    assert run.outcome == "running"


@pytest.mark.parametrize(("role", "status"), [("curator", 200), ("superuser", 200)])
def test_the_sync_schedule_is_viewable_by_curators(
    client_as: Callable[[str], Client], role: str, status: int
) -> None:
    client = client_as(role)
    response = client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    assert response.status_code == status
    assert "sync-registry-daily" in response.content.decode()


def test_only_superusers_edit_the_sync_schedule(client_as: Callable[[str], Client]) -> None:
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="sync-registry-daily")
    url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    curator_page = client_as("curator").get(url).content.decode()
    assert 'name="_save"' not in curator_page

    superuser = Client()
    from tests.curation.fixtures import make_user

    superuser.force_login(make_user("superuser"))
    assert 'name="_save"' in superuser.get(url).content.decode()


@pytest.mark.parametrize("role", ["curator", "superuser"])
def test_registry_fields_are_never_editable(
    trial: Trial, client_as: Callable[[str], Client], role: str
) -> None:
    client = client_as(role)
    page = client.get(change_url(trial)).content.decode()
    assert 'name="brief_title"' not in page
    assert 'name="_save"' not in page
    response = client.post(change_url(trial), {"brief_title": "Edited", "_save": "Save"})
    assert response.status_code == 403
    trial.refresh_from_db()
    assert trial.brief_title.startswith("Aldesleukin")
    assert client.get(reverse("admin:trials_trial_add")).status_code == 403


@pytest.mark.parametrize("role", ["curator", "superuser"])
def test_facets_are_not_saved_through_the_facet_admin(
    trial: Trial, client_as: Callable[[str], Client], role: str
) -> None:
    client = client_as(role)
    facet = stages(trial)
    response = client.post(
        reverse("admin:trials_facet_change", args=[facet.pk]), {"value": '["I"]'}
    )
    assert response.status_code == 403
    assert stages(trial).value == ["III", "IV"]


def test_facet_history_is_viewable_and_never_reverted(
    trial: Trial, client_as: Callable[[str], Client]
) -> None:
    client = client_as("curator")
    client.post(
        change_url(trial),
        {"_curate": "stages", "_action": "curate", "stages-stages": ["III"], "stages-note": "x"},
    )
    facet = stages(trial)
    history = client.get(reverse("admin:trials_facet_history", args=[facet.pk]))
    assert history.status_code == 200
    assert "curator-user" in history.content.decode()
    record = facet.history.get()
    version_url = reverse("admin:trials_facet_simple_history", args=[facet.pk, record.history_id])
    assert client.get(version_url).status_code == 200
    assert client.post(version_url, {"value": '["I"]'}).status_code == 403
    assert stages(trial).value == ["III"]
