"""Reads. Views, the API and the admin query through these."""

from __future__ import annotations

import datetime as dt
import heapq
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
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
from django.db.models.functions import Cast, RowNumber, StrIndex
from django.db.models.lookups import Exact, GreaterThan

from trials.criteria import normalise_condition, related_diseases
from trials.models import (
    Condition,
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
    FacetData,
    TrialVerdict,
    trial_verdict,
)
from trials.screening.vocabulary import (
    DISEASE_LABELS,
    STAGE_BITS,
    STATUSES,
    TREATMENT_CLASS_BITS,
    country_key,
    cytokine_families_for,
    cytokine_mask,
    descendants,
    phase_mask,
    search_text,
    status_rank,
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
    """Listed trials (not removed) with at least one cytokine therapy (contract section 1):
    the trials of profiles_in_scope."""
    return Trial.objects.filter(pk__in=profiles_in_scope().values("trial_id"))


def profiles_in_scope() -> QuerySet[ScreeningProfile]:
    """Screening profiles of the trials in scope: a cytokine therapy (the profile's family
    mask, rebuilt whenever interventions change) and not removed (read from Trial, which
    sync marks without a rebuild; the partial index trial_removed keeps it cheap)."""
    removed = Trial.objects.filter(removed_at__isnull=False).values("pk")
    return ScreeningProfile.objects.filter(cytokine_mask__gt=0).exclude(trial_id__in=removed)


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


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _has(column: str, text: str) -> Q:
    """The column holds the text (both are lower-cased by search_text/country_key).

    STRPOS (PostgreSQL) or INSTR (SQLite) rather than LIKE '%...%': no pattern to escape
    and cheaper per row, and PostgreSQL, which orders a row's tests by their declared
    cost, then tries the mask tests before the text instead of after it.
    """
    return Q(GreaterThan(StrIndex(column, Value(text)), 0))


def profiles_search(
    *,
    cytokine: Iterable[str] = (),
    condition: str = "",
    status: Sequence[str] | None = None,
    phase: Sequence[str] = (),
    country: str = "",
    near: Near | None = None,
) -> QuerySet[ScreeningProfile]:
    """Profiles of in-scope trials narrowed by the plain filters (no answers, no order).

    The same filters as trials_filter_* over the registry tables, read from the profile's
    copies (tests/test_selectors_profile_search.py holds the two in step); only the
    distance box reads Location rows.
    """
    profiles = profiles_in_scope()
    families = cytokine_families_for(cytokine)
    if families:
        mask = cytokine_mask(families)
        profiles = profiles.filter(GreaterThan(F("cytokine_mask").bitand(mask), 0))
    text = search_text(condition)
    if text:
        match = _has("condition_names", text)
        code = text if text in DISEASE_LABELS else normalise_condition(text)
        if code:
            # Broader and narrower listings too: a pleural mesothelioma search must not
            # miss a listing for mesothelioma (site not given) or for solid tumours.
            for related in sorted(related_diseases(code)):
                match |= _has("diseases", f"|{related}|")
        profiles = profiles.filter(match)
    if status is not None:
        if all(s in STATUSES for s in status):
            # The same filter on the status's rank: an integer that the order and count
            # index (profile_status_order) leads with, so a count reads that range of the
            # index alone. Unknown statuses all share one rank, hence the text fallback.
            profiles = profiles.filter(status_rank__in=sorted({status_rank(s) for s in status}))
        else:
            profiles = profiles.filter(overall_status__in=list(status))
    if phase:
        wanted = phase_mask(phase)
        if not wanted:
            return profiles.none()
        profiles = profiles.filter(GreaterThan(F("phase_mask").bitand(wanted), 0))
    place = country_key(country)
    if place:
        profiles = profiles.filter(_has("countries", f"|{place}|"))
    if near is not None:
        profiles = profiles.filter(
            Exists(Location.objects.filter(_bounding_box(near), trial_id=OuterRef("trial_id")))
        )
    return profiles


# --- Conflicts in SQL ---------------------------------------------------------------


def profile_conflict_q(answers: Answers) -> Q | None:
    """A Q over ScreeningProfile matching trials whose listed criteria conflict with the
    answers, or None when nothing in the answers can conflict.

    Mirrors the `fails` rules of trials.screening.verdicts over the profile's masks (see
    trials.screening.vocabulary) and its copies of the trial's age and sex limits. A
    `*_review` flag means unknown, never a conflict.
    tests/screening/test_sql_mirrors_verdicts.py holds the two in step.
    """
    facets: list[Q] = []
    if answers.stage is not None:
        # The listing limits stage (mask not 0) and the person's stage is not in it.
        facets.append(
            Q(stage_review=False)
            & Q(stage_mask__gt=0)
            & Q(Exact(F("stage_mask").bitand(STAGE_BITS[answers.stage]), 0))
        )
    if answers.resectable is not None:
        opposite = "unresectable" if answers.resectable else "resectable"
        facets.append(Q(resectability_review=False, resectability=opposite))
    prior: list[Q] = []
    if answers.prior_treatments is not None:
        answered = frozenset(answers.prior_treatments)
        had = with_ancestors(answered)
        maybe = frozenset(d for a in answered for d in descendants(a)) - had
        had_mask = treatment_mask(had)
        everything = sum(TREATMENT_CLASS_BITS.values())
        required_bad = everything & ~(had_mask | treatment_mask(maybe))
        if required_bad:
            prior.append(Q(GreaterThan(F("prior_required_mask").bitand(required_bad), 0)))
        if had_mask:
            prior.append(Q(GreaterThan(F("prior_excluded_mask").bitand(had_mask), 0)))
    if answers.prior_lines is not None:
        n = answers.prior_lines
        prior.append(Q(max_prior_lines__isnull=False, max_prior_lines__lt=n))
        prior.append(Q(min_prior_lines__isnull=False, min_prior_lines__gt=n))
    if prior:
        facets.append(Q(prior_review=False) & _any(prior))
    if answers.age is not None:
        age = answers.age
        facets.append(
            Q(minimum_age_in_years=True, minimum_age_days__gte=(age + 1) * DAYS_PER_YEAR)
            | Q(minimum_age_in_years=False, minimum_age_days__gte=(age + 1) * MAX_DAYS_PER_YEAR)
        )
        facets.append(
            Q(maximum_age_in_years=True, maximum_age_days__lt=age * DAYS_PER_YEAR)
            | Q(maximum_age_in_years=False, maximum_age_days__lt=age * MIN_DAYS_PER_YEAR)
        )
    if answers.sex is not None:
        facets.append(Q(sex="MALE" if answers.sex == "female" else "FEMALE"))
    return _any(facets) if facets else None


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
    # The listed condition names and cytokine agents, in listed order (a results page's;
    # the screen API loads neither).
    conditions: list[str] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)


class Agent(NamedTuple):
    """A cytokine therapy a result names."""

    name: str
    cytokine_family: str


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


# What the screen API shows of a trial, and what its verdict reads (the age and sex limits).
_VERDICT_FIELDS = (
    "registry_id",
    "brief_title",
    "overall_status",
    "minimum_age_days",
    "maximum_age_days",
    "minimum_age_text",
    "maximum_age_text",
    "sex",
)


def _page_facets(page_ids: list[int]) -> dict[int, dict[str, FacetData]]:
    """The page's facets as plain records (model instances and the prefetch machinery cost
    more than the verdicts), their JSON read as text and decoded with orjson: a page holds
    a few hundred values and quote lists, and json.loads was a fifth of a screen's time."""
    facets: dict[int, dict[str, FacetData]] = {pk: {} for pk in page_ids}
    rows = (
        Facet.objects.filter(trial_id__in=page_ids)
        .annotate(
            value_json=Cast("value", TextField()), evidence_json=Cast("evidence", TextField())
        )
        .values_list("trial_id", "kind", "value_json", "evidence_json", "review")
    )
    for trial_id, kind, value, evidence, review in rows:
        facets[trial_id][kind] = FacetData(kind, _json(value), _json(evidence), review)
    return facets


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what json reads and orjson does not (NaN, huge ints)
        return json.loads(text)


def _profile_order(ordering: str) -> list[object]:
    """The neutral orderings over profile columns (indexes profile_status_order and
    profile_update_order serve the first two)."""
    if ordering == "last_update":
        return ["-last_update_day", "registry_id"]
    if ordering == "nct_id":
        return ["registry_id"]
    return ["status_rank", "-last_update_day", "registry_id"]


def trials_screen(*, answers: Answers, listing: bool = True) -> ScreenResult:
    """One page of trials matching the plain filters, each with its verdict; `listing`
    loads what a results page shows beside the verdict (conditions, agents, sites), which
    the screen API leaves out.

    Filtering (plain filters and, unless `include_conflicts`, leaving out conflicts) is done
    in SQL over the whole database, on the screening profiles alone; verdicts and reasons
    are computed in Python for the requested page only. Ordering is by neutral keys only,
    never by fit.
    """
    base = profiles_search(
        cytokine=answers.cytokine,
        condition=answers.condition,
        status=answers.status,
        phase=answers.phase,
        country=answers.country,
        near=answers.near,
    )
    conflict = profile_conflict_q(answers)
    offset = (answers.page - 1) * answers.page_size

    if answers.near is not None:
        return _screen_near(base, answers, conflict, offset, listing=listing)

    # A narrow search is read whole, in one scan, and counted and ordered here; only a
    # broad one (more than SMALL_RESULT matches) costs a count and an ordered page.
    rows = _rows(_sort_key_rows(base, conflict)[: SMALL_RESULT + 1])
    if len(rows) <= SMALL_RESULT:
        return _page_of_rows(
            rows, answers, offset, hide=conflict is not None, nearest={}, listing=listing
        )

    hidden: int | None = None
    listed = base
    if conflict is not None and not answers.include_conflicts:
        # One pass counts both; the page below is a separate LIMIT query, which can walk
        # the order index and stop (a COUNT(*) OVER () would make it sort every match).
        totals = base.aggregate(total=Count("pk"), conflicts=Count("pk", filter=conflict))
        hidden = totals["conflicts"]
        count = totals["total"] - hidden
        listed = base.exclude(conflict)
    else:
        count = base.count()
    page_ids = (
        list(
            listed.order_by(*_profile_order(answers.ordering)).values_list("trial_id", flat=True)[
                offset : offset + answers.page_size
            ]
        )
        if count > offset
        else []
    )
    results = _screened(page_ids, answers, distances={}, listing=listing)
    return ScreenResult(results, count, answers.page, answers.page_size, hidden)


# Up to this many matches are read as (id, sort keys, conflict) rows and ordered in
# Python: one scan of the profiles instead of three (this read, a count, then a page that
# walks the order index past every non-match); 2,000 such rows take about 2 ms to read.
# A larger bound saves the count and page of a search with a few thousand matches but
# wastes a longer read on every broader one: 5,000 measured no better at 100,000 trials
# on PostgreSQL (slowest of the bench profiles 59-64 ms against 61) and worse at 10,000.
SMALL_RESULT = 2000

# A row of _sort_key_rows: trial id, status rank, update day, NCT id, conflict (0/1).
_Row = tuple[int, int, int, str, int]

# _profile_order's orderings over such rows.
_ROW_ORDER: dict[str, Callable[[_Row], Any]] = {
    "status": lambda r: (r[1], -r[2], r[3]),
    "last_update": lambda r: (-r[2], r[3]),
    "nct_id": lambda r: r[3],
}


def _rows(rows: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a values_list query read on a plain cursor: thousands of sort-key rows
    of integers and text, which need none of the ORM's per-value converters (a third of
    the read's time)."""
    try:
        sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    except EmptyResultSet:  # a filter that can match nothing (QuerySet.none())
        return []
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _sort_key_rows(base: QuerySet[ScreeningProfile], conflict: Q | None) -> QuerySet[Any]:
    return base.annotate(
        is_conflict=Case(When(conflict, then=Value(1)), default=Value(0))
        if conflict is not None
        else Value(0)
    ).values_list("trial_id", "status_rank", "last_update_day", "registry_id", "is_conflict")


def _page_of_rows(
    rows: Sequence[_Row],
    answers: Answers,
    offset: int,
    *,
    hide: bool,
    nearest: dict[int, float],
    listing: bool,
) -> ScreenResult:
    """Count, leave out conflicts (unless asked for), order and page the rows as the SQL
    path would (`_profile_order`, or distance when a place was given)."""
    hidden: int | None = None
    kept = list(rows)
    if hide and not answers.include_conflicts:
        hidden = sum(1 for r in kept if r[4])
        kept = [r for r in kept if not r[4]]
    key: Callable[[_Row], Any] = (
        (lambda r: (nearest[r[0]], r[3]))
        if answers.ordering == "distance" and nearest
        else _ROW_ORDER.get(answers.ordering, _ROW_ORDER["status"])
    )
    # Only the rows up to this page are ordered (sorted(...)[:n], ties in read order).
    first = heapq.nsmallest(offset + answers.page_size, kept, key=key)
    page_ids = [r[0] for r in first[offset:]]
    results = _screened(page_ids, answers, distances=nearest, listing=listing)
    return ScreenResult(results, len(kept), answers.page, answers.page_size, hidden)


def _screen_near(
    base: QuerySet[ScreeningProfile],
    answers: Answers,
    conflict: Q | None,
    offset: int,
    *,
    listing: bool,
) -> ScreenResult:
    """Distance search: the box is in SQL, the exact radius and distance in Python."""
    near = answers.near
    assert near is not None
    rows = _rows(_sort_key_rows(base, conflict))
    sites = Location.objects.filter(
        _bounding_box(near), trial_id__in=base.values("trial_id")
    ).values_list("trial_id", "latitude", "longitude")
    nearest: dict[int, float] = {}
    for trial_id, lat, lon in sites:
        d = distance_km(near.lat, near.lon, lat, lon)
        if d <= near.radius_km and d < nearest.get(trial_id, math.inf):
            nearest[trial_id] = d
    return _page_of_rows(
        [r for r in rows if r[0] in nearest],
        answers,
        offset,
        hide=conflict is not None,
        nearest=nearest,
        listing=listing,
    )


def _screened(
    page_ids: list[int], answers: Answers, *, distances: dict[int, float], listing: bool
) -> list[ScreenedTrial]:
    """The page's trials with their verdicts; with `listing`, also what a results page
    shows of each (conditions, agents and the sites to show first)."""
    if not page_ids:
        return []
    rows = Trial.objects.filter(pk__in=page_ids)
    rows = rows.defer(*_PAGE_DEFERRED) if listing else rows.only(*_VERDICT_FIELDS)
    trials = {t.pk: t for t in rows}
    facets = _page_facets(page_ids)
    sites, site_counts = _page_locations(page_ids, answers) if listing else ({}, {})
    conditions: dict[int, list[str]] = {}
    agents: dict[int, list[Agent]] = {}
    if listing:
        for trial_id, name in (
            Condition.objects.filter(trial_id__in=page_ids)
            .order_by("trial_id", "order", "pk")
            .values_list("trial_id", "name")
        ):
            conditions.setdefault(trial_id, []).append(name)
        for trial_id, name, family in (
            Intervention.objects.filter(trial_id__in=page_ids)
            .exclude(cytokine_family="")
            .order_by("trial_id", "order", "pk")
            .values_list("trial_id", "name", "cytokine_family")
        ):
            agents.setdefault(trial_id, []).append(Agent(name, family))
    out: list[ScreenedTrial] = []
    for pk in page_ids:
        trial = trials[pk]
        verdict = trial_verdict(answers=answers, facets=facets[pk], limits=trial)
        out.append(
            ScreenedTrial(
                trial=trial,
                verdict=verdict,
                distance_km=distances.get(pk),
                nearest_locations=_locations_first(sites.get(pk, []), answers),
                location_count=site_counts.get(pk, 0),
                conditions=conditions.get(pk, []),
                agents=agents.get(pk, []),
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


def _page_locations(
    page_ids: list[int], answers: Answers
) -> tuple[dict[int, list[tuple[object, ...]]], dict[int, int]]:
    """The sites each result may show first, as plain rows, and how many sites each trial
    lists. A trial may list hundreds of sites and a result shows three: without a place,
    SQL ranks them (in the chosen country first, then listed order) and sends the first
    three with the count; with a place, every site is read to find the nearest."""
    by_trial: dict[int, list[tuple[object, ...]]] = {}
    counts: dict[int, int] = {}
    trial_at = _LOCATION_FIELDS.index("trial_id")
    sites = Location.objects.filter(trial_id__in=page_ids)
    if answers.near is not None:
        for row in sites.order_by("trial_id", "order", "pk").values_list(*_LOCATION_FIELDS):
            by_trial.setdefault(row[trial_at], []).append(row)  # type: ignore[call-overload]
        return by_trial, {pk: len(rows) for pk, rows in by_trial.items()}
    country = answers.country.strip()
    first = (
        [Case(When(country__iexact=country, then=Value(0)), default=Value(1)).asc()]
        if country
        else []
    )
    ranked = (
        sites.annotate(
            site_rank=Window(
                RowNumber(), partition_by=[F("trial_id")], order_by=[*first, "order", "pk"]
            ),
            site_count=Window(Count("pk"), partition_by=[F("trial_id")]),
        )
        .filter(site_rank__lte=NEAREST_LOCATIONS_SHOWN)
        .order_by("trial_id", "site_rank")
        .values_list(*_LOCATION_FIELDS, "site_count")
    )
    for *row, count in ranked:
        by_trial.setdefault(row[trial_at], []).append(tuple(row))  # type: ignore[call-overload]
        counts[row[trial_at]] = count  # type: ignore[index]
    return by_trial, counts


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
