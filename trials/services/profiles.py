"""Screening profiles: a trial's facets folded into plain columns for the SQL filter.

The Facet rows stay the record of value and evidence; `ScreeningProfile` is derived from
them (and from the interventions' cytokine families) by `screening_facts`, the same
normalisation the Python verdicts use, so the SQL filter and the verdicts read the facets
the same way. Refresh after anything that changes a trial's facets or interventions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Prefetch

from trials.models import Facet, Intervention, ScreeningProfile, Trial
from trials.screening.verdicts import ScreeningFacts, screening_facts
from trials.screening.vocabulary import cytokine_mask, stage_mask, treatment_mask

_PROFILE_FIELDS: tuple[str, ...] = (
    "stage_mask",
    "stage_review",
    "resectability",
    "resectability_review",
    "prior_required_mask",
    "prior_excluded_mask",
    "min_prior_lines",
    "max_prior_lines",
    "prior_review",
    "cytokine_mask",
)


def _profile(trial_id: int, facts: ScreeningFacts, families: Iterable[str]) -> ScreeningProfile:
    return ScreeningProfile(
        trial_id=trial_id,
        stage_mask=stage_mask(facts.stages),
        stage_review=facts.stage_review,
        resectability=facts.resectability,
        resectability_review=facts.resectability_review,
        prior_required_mask=treatment_mask(facts.required),
        prior_excluded_mask=treatment_mask(facts.excluded),
        min_prior_lines=facts.min_prior_lines,
        max_prior_lines=facts.max_prior_lines,
        prior_review=facts.prior_review,
        cytokine_mask=cytokine_mask(families),
    )


def trial_screening_profile_refresh(*, trial: Trial) -> ScreeningProfile:
    """Rebuild the trial's ScreeningProfile from its Facet rows and interventions."""
    facets = {f.kind: f for f in Facet.objects.filter(trial_id=trial.pk)}
    families = Intervention.objects.filter(trial_id=trial.pk).values_list(
        "cytokine_family", flat=True
    )
    profile = _profile(trial.pk, screening_facts(facets), families)
    profile.save()  # one UPDATE, or an INSERT when the trial has no profile yet
    return profile


def screening_profiles_rebuild(
    *, trial_ids: Sequence[int] | None = None, batch_size: int = 500
) -> int:
    """Rebuild the profiles of the given trials (all trials when None); returns how many."""
    trials = Trial.objects.order_by("pk").only("pk")
    if trial_ids is not None:
        trials = trials.filter(pk__in=list(trial_ids))
    ids = list(trials.values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        rows = (
            Trial.objects.filter(pk__in=batch)
            .only("pk")
            .prefetch_related(
                Prefetch(
                    "facets", queryset=Facet.objects.only("trial_id", "kind", "value", "review")
                ),
                Prefetch(
                    "interventions",
                    queryset=Intervention.objects.only("trial_id", "cytokine_family"),
                ),
            )
        )
        profiles = [
            _profile(
                trial.pk,
                screening_facts({f.kind: f for f in trial.facets.all()}),
                (i.cytokine_family for i in trial.interventions.all()),
            )
            for trial in rows
        ]
        with transaction.atomic():
            ScreeningProfile.objects.bulk_create(
                profiles,
                update_conflicts=True,
                unique_fields=["trial"],
                update_fields=list(_PROFILE_FIELDS),
            )
        done += len(profiles)
    return done
