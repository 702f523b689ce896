"""Reads. Views, the API and the admin query through these."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast

from trials.criteria import normalise_condition, related_diseases
from trials.models import (
    Condition,
    CytokineFamily,
    Facet,
    Intervention,
    Location,
    ScreeningProfile,
    SyncOutcome,
    SyncRun,
    Trial,
    TrialVersion,
)
from trials.screening.answers import Answers, Near
from trials.screening.verdicts import (
    DAYS_PER_YEAR,
    MAX_DAYS_PER_YEAR,
    MIN_DAYS_PER_YEAR,
    TrialVerdict,
    trial_verdict,
)
from trials.screening.vocabulary import (
    DISEASE_LABELS,
    STAGE_BITS,
    STATUSES,
    TREATMENT_CLASS_BITS,
    cytokine_families_for,
    descendants,
    treatment_mask,
    with_ancestors,
)

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.32
NEAREST_LOCATIONS_SHOWN = 3


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


def trial_detail_get(*, nct_id: str) -> Trial | None:
    """A trial with everything its page and API detail show; versions without raw JSON."""
    return (
        Trial.objects.filter(registry_id=nct_id)
        .prefetch_related(
            "conditions",
            "interventions",
            "locations",
            "criteria",
            "facets",
            Prefetch(
                "versions",
                queryset=TrialVersion.objects.only(
                    "trial_id", "content_hash", "last_update_posted", "fetched_at"
                ),
            ),
        )
        .first()
    )


COUNTRIES_CACHE_KEY = "screener:location-countries"
COUNTRIES_CACHE_SECONDS = 600


def location_countries() -> list[str]:
    """Countries with a site of an in-scope trial, for the search form's suggestions
    (cached for a few minutes: it reads every site)."""

    def read() -> list[str]:
        return list(
            Location.objects.filter(trial__in=trials_in_scope())
            .exclude(country="")
            .order_by("country")
            .values_list("country", flat=True)
            .distinct()
        )

    countries: list[str] = cache.get_or_set(COUNTRIES_CACHE_KEY, read, COUNTRIES_CACHE_SECONDS)
    return countries


def trial_screen_one(*, trial: Trial, answers: Answers) -> TrialVerdict:
    """The verdict for one trial fetched with its facets (trial_detail_get)."""
    return trial_verdict(answers=answers, facets=list(trial.facets.all()), limits=trial)


# --- Plain filters ------------------------------------------------------------------


def trials_in_scope() -> QuerySet[Trial]:
    """Listed trials (not removed) with at least one cytokine therapy (contract section 1)."""
    cytokine = Intervention.objects.filter(trial=OuterRef("pk")).exclude(
        cytokine_family=CytokineFamily.NONE
    )
    return Trial.objects.filter(Exists(cytokine), removed_at__isnull=True)


def trials_filter_cytokine(trials: QuerySet[Trial], *, cytokine: Iterable[str]) -> QuerySet[Trial]:
    """Trials with an intervention of one of the families (classes expand to families)."""
    families = sorted(cytokine_families_for(cytokine))
    if not families:
        return trials
    return trials.filter(
        Exists(Intervention.objects.filter(trial=OuterRef("pk"), cytokine_family__in=families))
    )


def trials_filter_condition(trials: QuerySet[Trial], *, condition: str) -> QuerySet[Trial]:
    """Free text over the listed condition names, or a disease code (given, or read from
    the text: "kidney cancer" finds renal cell carcinoma listings) with its broader and
    narrower diseases (trials.criteria.related_diseases)."""
    condition = condition.strip()
    if not condition:
        return trials
    match = Q(name__icontains=condition)
    code = condition if condition in DISEASE_LABELS else normalise_condition(condition)
    if code:
        # Broader and narrower listings too: a pleural mesothelioma search must not miss a
        # listing for mesothelioma (site not given) or for solid tumours.
        match |= Q(disease__in=sorted(related_diseases(code)))
    return trials.filter(Exists(Condition.objects.filter(match, trial=OuterRef("pk"))))


def trials_filter_status(
    trials: QuerySet[Trial], *, status: Sequence[str] | None
) -> QuerySet[Trial]:
    """None means any status."""
    return trials if status is None else trials.filter(overall_status__in=list(status))


def trials_filter_phase(trials: QuerySet[Trial], *, phase: Sequence[str]) -> QuerySet[Trial]:
    """Trials listing any of the phases. `phases` is a JSON list; its text form contains
    '"PHASE2"' (quotes included, so PHASE1 does not match EARLY_PHASE1) on SQLite and
    PostgreSQL alike."""
    if not phase:
        return trials
    match = Q()
    for code in phase:
        match |= Q(phases_text__contains=f'"{code}"')
    return trials.alias(phases_text=Cast("phases", output_field=TextField())).filter(match)


def trials_filter_country(trials: QuerySet[Trial], *, country: str) -> QuerySet[Trial]:
    country = country.strip()
    if not country:
        return trials
    return trials.filter(
        Exists(Location.objects.filter(trial=OuterRef("pk"), country__iexact=country))
    )


def _bounding_box(near: Near) -> Q:
    """Sites inside a box around the circle (the exact distance is checked in Python)."""
    dlat = near.radius_km / KM_PER_DEGREE
    box = Q(latitude__gte=near.lat - dlat, latitude__lte=near.lat + dlat)
    if abs(near.lat) + dlat >= 90:
        return box  # the circle reaches a pole: every longitude
    dlon = near.radius_km / (KM_PER_DEGREE * math.cos(math.radians(near.lat)))
    if dlon >= 180:
        return box
    west, east = near.lon - dlon, near.lon + dlon
    if west < -180:
        return box & (Q(longitude__gte=west + 360) | Q(longitude__lte=east))
    if east > 180:
        return box & (Q(longitude__gte=west) | Q(longitude__lte=east - 360))
    return box & Q(longitude__gte=west, longitude__lte=east)


def trials_filter_near(trials: QuerySet[Trial], *, near: Near | None) -> QuerySet[Trial]:
    if near is None:
        return trials
    return trials.filter(Exists(Location.objects.filter(_bounding_box(near), trial=OuterRef("pk"))))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def trials_search(
    *,
    cytokine: Iterable[str] = (),
    condition: str = "",
    status: Sequence[str] | None = None,
    phase: Sequence[str] = (),
    country: str = "",
    near: Near | None = None,
) -> QuerySet[Trial]:
    """In-scope trials narrowed by the plain filters (no answers, no ordering)."""
    trials = trials_in_scope()
    trials = trials_filter_cytokine(trials, cytokine=cytokine)
    trials = trials_filter_condition(trials, condition=condition)
    trials = trials_filter_status(trials, status=status)
    trials = trials_filter_phase(trials, phase=phase)
    trials = trials_filter_country(trials, country=country)
    return trials_filter_near(trials, near=near)


# --- Conflicts in SQL ---------------------------------------------------------------


def _age_limit_in_years(field_name: str) -> Q:
    """Mirrors verdicts._in_years: the registry's text ends in year(s)."""
    return Q(**{f"{field_name}__iendswith": "year"}) | Q(**{f"{field_name}__iendswith": "years"})


def trial_conflict_q(answers: Answers) -> Q | None:
    """A Q over Trial matching trials whose listed criteria conflict with the answers, or
    None when nothing in the answers can conflict.

    Mirrors the `fails` rules of trials.screening.verdicts over ScreeningProfile columns
    (masks, see trials.screening.vocabulary) and Trial's age and sex columns. A `*_review`
    flag means unknown, never a conflict; a trial without a profile never conflicts on
    facets. tests/screening/test_sql_mirrors_verdicts.py holds the two in step.
    """
    profile: list[Q] = []
    stage_bit = 0
    if answers.stage is not None:
        # The listing limits stage (mask not 0) and the person's stage is not in it.
        stage_bit = STAGE_BITS[answers.stage]
        profile.append(Q(stage_review=False, stage_hit=0) & ~Q(stage_mask=0))
    if answers.resectable is not None:
        opposite = "unresectable" if answers.resectable else "resectable"
        profile.append(Q(resectability_review=False, resectability=opposite))
    prior: list[Q] = []
    had_mask = required_bad = 0
    if answers.prior_treatments is not None:
        answered = frozenset(answers.prior_treatments)
        had = with_ancestors(answered)
        maybe = frozenset(d for a in answered for d in descendants(a)) - had
        had_mask = treatment_mask(had)
        everything = sum(TREATMENT_CLASS_BITS.values())
        required_bad = everything & ~(had_mask | treatment_mask(maybe))
        if required_bad:
            prior.append(~Q(required_bad_hit=0))
        if had_mask:
            prior.append(~Q(excluded_hit=0))
    if answers.prior_lines is not None:
        n = answers.prior_lines
        prior.append(Q(max_prior_lines__isnull=False, max_prior_lines__lt=n))
        prior.append(Q(min_prior_lines__isnull=False, min_prior_lines__gt=n))
    if prior:
        profile.append(Q(prior_review=False) & _any(prior))

    trial: list[Q] = []
    if profile:
        profiles = ScreeningProfile.objects.filter(trial=OuterRef("pk")).alias(
            stage_hit=F("stage_mask").bitand(stage_bit),
            required_bad_hit=F("prior_required_mask").bitand(required_bad),
            excluded_hit=F("prior_excluded_mask").bitand(had_mask),
        )
        trial.append(Q(Exists(profiles.filter(_any(profile)))))
    if answers.age is not None:
        age = answers.age
        years_min, years_max = (
            _age_limit_in_years("minimum_age_text"),
            _age_limit_in_years("maximum_age_text"),
        )
        trial.append(
            Q(minimum_age_days__isnull=False)
            & (
                (years_min & Q(minimum_age_days__gte=(age + 1) * DAYS_PER_YEAR))
                | (~years_min & Q(minimum_age_days__gte=(age + 1) * MAX_DAYS_PER_YEAR))
            )
        )
        trial.append(
            Q(maximum_age_days__isnull=False)
            & (
                (years_max & Q(maximum_age_days__lt=age * DAYS_PER_YEAR))
                | (~years_max & Q(maximum_age_days__lt=age * MIN_DAYS_PER_YEAR))
            )
        )
    if answers.sex is not None:
        trial.append(Q(sex__iexact="MALE" if answers.sex == "female" else "FEMALE"))
    return _any(trial) if trial else None


def _any(parts: Sequence[Q]) -> Q:
    out = Q()
    for part in parts:
        out |= part
    return out


# --- Screening ----------------------------------------------------------------------


@dataclass(slots=True)
class ScreenedTrial:
    trial: Trial
    verdict: TrialVerdict
    distance_km: float | None = None
    # The sites to show first: nearest when a place was given, else those in the chosen
    # country, else in listed order; each carries `.distance_km` (None without a place).
    nearest_locations: list[Location] = field(default_factory=list)
    location_count: int = 0

    @property
    def agents(self) -> list[Intervention]:
        return [i for i in self.trial.interventions.all() if i.cytokine_family]


@dataclass(slots=True)
class ScreenResult:
    results: list[ScreenedTrial]
    count: int
    page: int
    page_size: int
    # Trials the plain filters found that were left out for a conflict (None when
    # conflicts were included or nothing in the answers can conflict).
    hidden_conflicts: int | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.count / self.page_size))


def _status_rank() -> Case:
    return Case(
        *(When(overall_status=s, then=Value(i)) for i, s in enumerate(STATUSES)),
        default=Value(len(STATUSES)),
        output_field=IntegerField(),
    )


def _order_by(ordering: str) -> list[object]:
    updated = F("last_update_posted").desc(nulls_last=True)
    if ordering == "last_update":
        return [updated, "registry_id"]
    if ordering == "nct_id":
        return ["registry_id"]
    return [_status_rank().asc(), updated, "registry_id"]


def trials_order(trials: QuerySet[Trial], *, ordering: str) -> QuerySet[Trial]:
    """Neutral orderings only: status, last_update, nct_id (distance needs a place and is
    ordered by trials_screen)."""
    return trials.order_by(*_order_by(ordering))


def trials_api_list() -> QuerySet[Trial]:
    """In-scope trials for the API list, with what a list row shows; filters and ordering
    come from trials.api.filters (the same helpers as trials_screen)."""
    return trials_in_scope().prefetch_related(
        Prefetch("conditions", queryset=Condition.objects.only("trial_id", "name", "disease")),
        Prefetch(
            "interventions",
            queryset=Intervention.objects.only("trial_id", "name", "cytokine_family", "order"),
        ),
    )


# Large Trial columns no result row shows (the results page, its CSV and the screen API
# show titles, status, phases, dates, age and sex limits; the trial page loads the rest).
_PAGE_DEFERRED = ("official_title", "brief_summary", "eligibility_criteria", "keywords")


def _page_prefetches() -> list[Prefetch]:
    return [
        Prefetch("conditions", queryset=Condition.objects.only("trial_id", "name", "disease")),
        Prefetch(
            "interventions",
            queryset=Intervention.objects.only(
                "trial_id", "name", "type", "cytokine_family", "other_names"
            ),
        ),
        Prefetch(
            "facets",
            queryset=Facet.objects.only(
                "trial_id", "kind", "value", "evidence", "review", "provenance", "rule"
            ),
        ),
    ]


def trials_screen(*, answers: Answers) -> ScreenResult:
    """One page of trials matching the plain filters, each with its verdict.

    Filtering (plain filters and, unless `include_conflicts`, leaving out conflicts) is done
    in SQL over the whole database; verdicts and reasons are computed in Python for the
    requested page only. Ordering is by neutral keys only, never by fit.
    """
    base = trials_search(
        cytokine=answers.cytokine,
        condition=answers.condition,
        status=answers.status,
        phase=answers.phase,
        country=answers.country,
        near=answers.near,
    )
    conflict = trial_conflict_q(answers)
    offset = (answers.page - 1) * answers.page_size

    if answers.near is not None:
        return _screen_near(base, answers, conflict, offset)

    hidden: int | None = None
    if conflict is not None and not answers.include_conflicts:
        totals = base.aggregate(total=Count("pk"), conflicts=Count("pk", filter=conflict))
        hidden = totals["conflicts"]
        count = totals["total"] - hidden
        listed = base.exclude(conflict)
    else:
        # Nothing hidden: the page and the count in one query (COUNT(*) OVER () is taken
        # over every matching row, before LIMIT/OFFSET).
        rows = list(
            trials_order(base, ordering=answers.ordering)
            .annotate(total=Window(Count("pk")))
            .values_list("pk", "total")[offset : offset + answers.page_size]
        )
        page_ids = [pk for pk, _ in rows]
        # No row: past the last page (count it) or nothing matches at all.
        count = rows[0][1] if rows else (base.count() if offset else 0)
        results = _screened(page_ids, answers, distances={})
        return ScreenResult(results, count, answers.page, answers.page_size, hidden)
    page_ids = (
        list(
            trials_order(listed, ordering=answers.ordering).values_list("pk", flat=True)[
                offset : offset + answers.page_size
            ]
        )
        if count > offset
        else []
    )
    results = _screened(page_ids, answers, distances={})
    return ScreenResult(results, count, answers.page, answers.page_size, hidden)


def _screen_near(
    base: QuerySet[Trial], answers: Answers, conflict: Q | None, offset: int
) -> ScreenResult:
    """Distance search: the box is in SQL, the exact radius and distance in Python."""
    near = answers.near
    assert near is not None
    annotate = (
        {"is_conflict": Case(When(conflict, then=Value(1)), default=Value(0))}
        if (conflict is not None)
        else {}
    )
    rows = list(
        base.annotate(status_rank=_status_rank(), **annotate).values_list(
            "pk",
            "status_rank",
            "last_update_posted",
            "registry_id",
            *(["is_conflict"] if annotate else []),
        )
    )
    sites = Location.objects.filter(
        _bounding_box(near), trial_id__in=base.values("pk")
    ).values_list("trial_id", "latitude", "longitude")
    nearest: dict[int, float] = {}
    for trial_id, lat, lon in sites:
        d = distance_km(near.lat, near.lon, lat, lon)
        if d <= near.radius_km and d < nearest.get(trial_id, math.inf):
            nearest[trial_id] = d
    hidden: int | None = None
    kept = [r for r in rows if r[0] in nearest]
    if annotate and not answers.include_conflicts:
        hidden = sum(1 for r in kept if r[4])
        kept = [r for r in kept if not r[4]]

    def updated_key(day: dt.date | None) -> int:
        return -day.toordinal() if day else 1

    if answers.ordering == "distance":
        kept.sort(key=lambda r: (nearest[r[0]], r[3]))
    elif answers.ordering == "last_update":
        kept.sort(key=lambda r: (updated_key(r[2]), r[3]))
    elif answers.ordering == "nct_id":
        kept.sort(key=lambda r: r[3])
    else:
        kept.sort(key=lambda r: (r[1], updated_key(r[2]), r[3]))
    page_ids = [r[0] for r in kept[offset : offset + answers.page_size]]
    results = _screened(page_ids, answers, distances=nearest)
    return ScreenResult(results, len(kept), answers.page, answers.page_size, hidden)


def _screened(
    page_ids: list[int], answers: Answers, *, distances: dict[int, float]
) -> list[ScreenedTrial]:
    if not page_ids:
        return []
    rows = (
        Trial.objects.filter(pk__in=page_ids)
        .defer(*_PAGE_DEFERRED)
        .prefetch_related(*_page_prefetches())
    )
    trials = {t.pk: t for t in rows}
    sites = _page_locations(page_ids)
    out: list[ScreenedTrial] = []
    for pk in page_ids:
        trial = trials[pk]
        verdict = trial_verdict(answers=answers, facets=list(trial.facets.all()), limits=trial)
        locations = sites.get(pk, [])
        out.append(
            ScreenedTrial(
                trial=trial,
                verdict=verdict,
                distance_km=distances.get(pk),
                nearest_locations=_locations_first(locations, answers),
                location_count=len(locations),
            )
        )
    return out


# Location columns read for a result row (contacts, the large one, only on the trial page).
_LOCATION_FIELDS: tuple[str, ...] = tuple(
    f.attname for f in Location._meta.concrete_fields if f.attname != "contacts"
)
_LAT, _LON, _COUNTRY, _ORDER = (
    _LOCATION_FIELDS.index(name) for name in ("latitude", "longitude", "country", "order")
)


def _page_locations(page_ids: list[int]) -> dict[int, list[tuple[object, ...]]]:
    """Every site of the page's trials as plain rows, in listed order (a trial may list
    hundreds; a result shows three, so Location objects are built for those only)."""
    by_trial: dict[int, list[tuple[object, ...]]] = {}
    rows = (
        Location.objects.filter(trial_id__in=page_ids)
        .order_by("trial_id", "order", "pk")
        .values_list(*_LOCATION_FIELDS)
    )
    trial_at = _LOCATION_FIELDS.index("trial_id")
    for row in rows:
        by_trial.setdefault(row[trial_at], []).append(row)  # type: ignore[call-overload]
    return by_trial


def _locations_first(locations: list[tuple[object, ...]], answers: Answers) -> list[Location]:
    """The sites to show first (nearest, then in the chosen country, then listed order),
    as Location objects (contacts deferred) each with `.distance_km`."""
    near, country = answers.near, answers.country.strip().lower()
    scored: list[tuple[tuple[float, int, int], float | None, tuple[object, ...]]] = []
    for row in locations:
        lat, lon = row[_LAT], row[_LON]
        d = (
            distance_km(near.lat, near.lon, lat, lon)  # type: ignore[arg-type]
            if near and lat is not None and lon is not None
            else None
        )
        in_country = 0 if country and str(row[_COUNTRY]).lower() == country else 1
        key = (d if d is not None else math.inf, in_country, row[_ORDER])
        scored.append((key, d, row))  # type: ignore[arg-type]
    scored.sort(key=lambda item: item[0])  # stable: ties keep listed order
    shown: list[Location] = []
    for _, d, row in scored[:NEAREST_LOCATIONS_SHOWN]:
        loc = Location.from_db(Location.objects.db, list(_LOCATION_FIELDS), list(row))
        loc.distance_km = d  # type: ignore[attr-defined]
        shown.append(loc)
    return shown


def trial_pks(*, nct_ids: list[str] | None = None) -> list[int]:
    """Primary keys of the trials named (all trials when no ids are given), in id order."""
    trials = Trial.objects.all()
    if nct_ids is not None:
        trials = trials.filter(registry_id__in=nct_ids)
    return list(trials.order_by("registry_id").values_list("pk", flat=True))
