"""Screening profiles: a trial's facets folded into plain columns for the SQL filter.

The Facet rows stay the record of value and evidence; `ScreeningProfile` is derived from
them (and from the interventions' cytokine families) by `screening_facts`, the same
normalisation the Python verdicts use, so the SQL filter and the verdicts read the facets
the same way. It also copies the trial columns and child values the search filters and
orders by (status, dates, ages, sex, phases, condition names, diseases, countries), so a
screen reads one narrow table. Refresh after anything that changes a trial's row, facets
or children: ingest does for every created or updated trial, curation for the trial it
touched. Removal is the exception: `Trial.removed_at` is read from Trial itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from trials.models import Condition, Facet, Intervention, Location, ScreeningProfile, Trial
from trials.screening.verdicts import (
    FacetData,
    FacetRecord,
    ScreeningFacts,
    in_years,
    screening_facts,
)
from trials.screening.vocabulary import (
    condition_names_text,
    countries_text,
    cytokine_mask,
    diseases_text,
    phase_mask,
    stage_mask,
    status_rank,
    treatment_mask,
    update_day,
)
from trials.services.bulk import json_stored

_PROFILE_FIELDS: tuple[str, ...] = tuple(
    f.attname for f in ScreeningProfile._meta.concrete_fields if f.attname != "trial_id"
)
# The Trial columns a profile copies (everything else it reads comes from children).
_TRIAL_COLUMNS: tuple[str, ...] = (
    "pk",
    "registry_id",
    "overall_status",
    "last_update_posted",
    "phases",
    "minimum_age_days",
    "maximum_age_days",
    "minimum_age_text",
    "maximum_age_text",
    "sex",
)


def profile_search_columns(
    trial: Any, conditions: Sequence[tuple[str, str]], countries: Iterable[str]
) -> dict[str, Any]:
    """The profile's copies of the trial's columns and child values (SEARCH_COLUMNS), from
    a trial row with the _TRIAL_COLUMNS, its (name, disease code) condition pairs and its
    site countries. Also used by migration 0005 with historical models."""
    return {
        "registry_id": trial.registry_id,
        "overall_status": trial.overall_status,
        "status_rank": status_rank(trial.overall_status),
        "last_update_day": update_day(trial.last_update_posted),
        "phase_mask": phase_mask(trial.phases or ()),
        "minimum_age_days": trial.minimum_age_days,
        "maximum_age_days": trial.maximum_age_days,
        "minimum_age_in_years": in_years(trial.minimum_age_text),
        "maximum_age_in_years": in_years(trial.maximum_age_text),
        "sex": trial.sex.strip().upper(),
        "condition_names": condition_names_text(name for name, _ in conditions),
        "diseases": diseases_text(code for _, code in conditions),
        "countries": countries_text(countries),
    }


SEARCH_COLUMNS: tuple[str, ...] = tuple(
    profile_search_columns(
        Trial(minimum_age_text="", maximum_age_text="", sex="", phases=[]), (), ()
    )
)


def _profile(
    trial: Trial,
    facts: ScreeningFacts,
    families: Iterable[str],
    conditions: Sequence[tuple[str, str]],
    countries: Iterable[str],
) -> ScreeningProfile:
    """The profile of a trial; `conditions` are (name, disease code) pairs."""
    return ScreeningProfile(
        trial_id=trial.pk,
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
        **profile_search_columns(trial, conditions, countries),
    )


def trial_screening_profile_refresh(*, trial: Trial) -> ScreeningProfile:
    """Rebuild the trial's ScreeningProfile from its row, Facet rows and children."""
    screening_profiles_rebuild(trial_ids=[trial.pk])
    return ScreeningProfile.objects.get(trial_id=trial.pk)


def _countries(trial_ids: Sequence[int]) -> dict[int, list[str]]:
    # Distinct pairs: a trial may list hundreds of sites in a handful of countries.
    out: dict[int, list[str]] = {}
    rows = (
        Location.objects.filter(trial_id__in=trial_ids)
        .exclude(country="")
        .values_list("trial_id", "country")
        .distinct()
        .order_by()
    )
    for trial_id, country in rows:
        out.setdefault(trial_id, []).append(country)
    return out


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
            .only(*_TRIAL_COLUMNS)
            .prefetch_related(
                Prefetch(
                    "facets", queryset=Facet.objects.only("trial_id", "kind", "value", "review")
                ),
                Prefetch(
                    "interventions",
                    queryset=Intervention.objects.only("trial_id", "cytokine_family"),
                ),
                Prefetch(
                    "conditions", queryset=Condition.objects.only("trial_id", "name", "disease")
                ),
            )
        )
        countries = _countries(batch)
        profiles = [
            _profile(
                trial,
                screening_facts({f.kind: f for f in trial.facets.all()}),
                (i.cytokine_family for i in trial.interventions.all()),
                [(c.name, c.disease) for c in trial.conditions.all()],
                countries.get(trial.pk, ()),
            )
            for trial in rows
        ]
        _upsert(profiles)
        done += len(profiles)
    return done


def _upsert(profiles: list[ScreeningProfile]) -> None:
    with transaction.atomic():
        ScreeningProfile.objects.bulk_create(
            profiles,
            update_conflicts=True,
            unique_fields=["trial"],
            update_fields=list(_PROFILE_FIELDS),
        )


@dataclass(frozen=True, slots=True)
class ProfileSource:
    """A trial's row and child values as its writer has them in hand (ingest), so its
    profile can be made without reading back what was just written.

    `trial` carries at least the _TRIAL_COLUMNS; `conditions` are (name, disease code)
    pairs; `countries` may repeat and hold blanks, as the Location rows do.
    """

    trial: Trial
    families: Sequence[str]
    conditions: Sequence[tuple[str, str]]
    countries: Sequence[str]


def _as_stored(facet: FacetRecord) -> FacetRecord:
    """The facet with its JSON values as the database hands them back (tuples become
    lists, and so on), so the profile reads exactly what a rebuild would read."""
    return FacetData(
        facet.kind, json_stored(facet.value), json_stored(facet.evidence), facet.review
    )


def screening_profiles_write(
    *, sources: Sequence[ProfileSource], facets: Mapping[int, Mapping[str, FacetRecord]]
) -> int:
    """Upsert the profiles of trials whose rows, children and stored facets (trial id ->
    kind -> facet, every facet the trial has) the caller holds; the same profiles
    `screening_profiles_rebuild` would make from the database. Returns how many."""
    profiles = [
        _profile(
            source.trial,
            screening_facts(
                {kind: _as_stored(facet) for kind, facet in facets.get(source.trial.pk, {}).items()}
            ),
            source.families,
            source.conditions,
            [country for country in source.countries if country],
        )
        for source in sources
    ]
    if profiles:
        _upsert(profiles)
    return len(profiles)
