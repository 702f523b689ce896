"""Reads. Views, the API and the admin query through these."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from trials.models import Condition, Intervention, SyncOutcome, SyncRun, Trial


def registry_data_as_of() -> dt.datetime | None:
    """When the listings were last brought in step with the registry (sync or snapshot)."""
    run = (
        SyncRun.objects.filter(outcome=SyncOutcome.SUCCEEDED)
        .order_by("-started_at")
        .only("started_at")
        .first()
    )
    return run.started_at if run else None


def trial_list(*, include_removed: bool = False) -> QuerySet[Trial]:
    trials = Trial.objects.all()
    if not include_removed:
        trials = trials.filter(removed_at__isnull=True)
    return trials.prefetch_related(
        Prefetch("conditions", queryset=Condition.objects.only("trial_id", "name", "disease")),
        Prefetch(
            "interventions",
            queryset=Intervention.objects.only("trial_id", "name", "type", "cytokine_family"),
        ),
    ).order_by("registry_id")


def trial_get(*, nct_id: str) -> Trial | None:
    return (
        Trial.objects.filter(registry_id=nct_id)
        .prefetch_related("conditions", "interventions", "locations", "criteria", "facets")
        .first()
    )
