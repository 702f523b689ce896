"""Screening benchmark: load 1,000 to 100,000 trials fast, time the API and the results
page, and time a hand-written SQL query for the same filter beside them.

Loading: the first 1,000 synthetic records go through the real ingest path
(`trials_ingest_batch`); every further trial is a copy of one of them written straight to
the tables (Trial, Condition, Intervention, up to five Location rows, Facet and
ScreeningProfile rows; no Criterion or TrialVersion rows, which screening never reads),
with its own NCT id, status and last-update date. Runs inside a child of bench/run.py
with Django set up.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from bench.dataset import load_real, synthetic_studies

TEMPLATES = 1000
CLONE_LOCATIONS = 5
CHUNK = 5000
_STATUSES = ("RECRUITING", "RECRUITING", "NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING")

# Varied answer profiles: conditions, stages, prior treatments, cytokines, age and sex,
# conflicts left out or included, plain lists. Same keys as POST /api/v1/screen/.
PROFILES: tuple[dict[str, Any], ...] = (
    {
        "condition": "mesothelioma",
        "stage": "III",
        "prior_treatments": ["platinum_chemotherapy"],
        "cytokine": ["IL2"],
        "include_conflicts": False,
    },
    {"stage": "IV", "prior_treatments": [], "include_conflicts": False},
    {
        "condition": "melanoma",
        "stage": "IV",
        "resectable": False,
        "prior_treatments": ["checkpoint_inhibitor"],
        "prior_lines": 2,
    },
    {"cytokine": ["interferon"], "age": 67, "sex": "female"},
    {
        "condition": "lung",
        "stage": "III",
        "prior_treatments": ["checkpoint_inhibitor", "platinum_chemotherapy"],
        "prior_lines": 1,
        "ordering": "last_update",
    },
    {},
    {
        "stage": "II",
        "resectable": True,
        "prior_treatments": ["chemotherapy", "radiotherapy"],
        "include_conflicts": True,
        "status": "any",
    },
    {"cytokine": ["IL15"], "stage": "III", "age": 50, "country": "United States"},
    {"condition": "breast", "prior_lines": 3, "phase": ["PHASE2"], "age": 45},
)


# --- Loading --------------------------------------------------------------------------


def load_templates(data: Path) -> int:
    """Ingest the first 1,000 synthetic records through the real path; returns how many."""
    from trials.services.ingest import trials_ingest_batch

    studies = list(synthetic_studies(load_real(data), TEMPLATES))
    for start in range(0, len(studies), 250):
        with transaction.atomic():
            trials_ingest_batch(raws=studies[start : start + 250])
    return len(studies)


@dataclass(slots=True)
class _Template:
    trial: dict[str, Any]
    conditions: list[dict[str, Any]]
    interventions: list[dict[str, Any]]
    locations: list[dict[str, Any]]
    facets: list[dict[str, Any]]
    profile: dict[str, Any] | None


def _rows(model: Any, exclude: Sequence[str] = ("id",)) -> list[dict[str, Any]]:
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
    return list(model.objects.order_by("pk").values(*names))


def _templates() -> list[_Template]:
    from trials.models import Condition, Facet, Intervention, Location, ScreeningProfile, Trial

    by_trial: dict[int, _Template] = {}
    for row in _rows(Trial, exclude=()):
        by_trial[row["id"]] = _Template(row, [], [], [], [], None)
    for model, attr in (
        (Condition, "conditions"),
        (Intervention, "interventions"),
        (Location, "locations"),
        (Facet, "facets"),
    ):
        for row in _rows(model):
            rows = getattr(by_trial[row["trial_id"]], attr)
            if attr != "locations" or len(rows) < CLONE_LOCATIONS:
                rows.append(row)
    for row in _rows(ScreeningProfile, exclude=()):
        by_trial[row["trial_id"]].profile = row
    return [by_trial[pk] for pk in sorted(by_trial)]


def grow(to: int) -> float:
    """Add copies of the template trials until there are `to`; returns seconds taken."""
    from trials.models import Condition, Facet, Intervention, Location, ScreeningProfile, Trial
    from trials.screening.vocabulary import status_rank, update_day
    from trials.services.bulk import insert_rows

    start = time.perf_counter()
    have = Trial.objects.count()
    if have >= to:
        return 0.0
    templates = _templates()
    next_id = (Trial.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for chunk_start in range(have, to, CHUNK):
        rows: dict[Any, list[dict[str, Any]]] = {
            m: [] for m in (Trial, Condition, Intervention, Location, Facet, ScreeningProfile)
        }
        for j in range(chunk_start, min(to, chunk_start + CHUNK)):
            t = templates[j % len(templates)]
            pk = next_id + j - have
            copy = {
                **t.trial,
                "id": pk,
                "registry_id": f"NCT7{j:07d}",
                "overall_status": _STATUSES[j % len(_STATUSES)],
                "last_update_posted": t.trial["last_update_posted"].replace(day=1 + j % 28)
                if t.trial["last_update_posted"]
                else None,
            }
            rows[Trial].append(copy)
            for model, children in (
                (Condition, t.conditions),
                (Intervention, t.interventions),
                (Location, t.locations),
                (Facet, t.facets),
            ):
                rows[model].extend({**c, "trial_id": pk} for c in children)
            if t.profile is not None:
                # The profile's copies of the columns the copy changed, as a rebuild
                # (trials.services.profiles) would write them.
                rows[ScreeningProfile].append(
                    {
                        **t.profile,
                        "trial_id": pk,
                        "registry_id": copy["registry_id"],
                        "overall_status": copy["overall_status"],
                        "status_rank": status_rank(copy["overall_status"]),
                        "last_update_day": update_day(copy["last_update_posted"]),
                    }
                )
        with transaction.atomic():
            for model, model_rows in rows.items():
                insert_rows(model, model_rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('trials_trial', 'id'), "
                "(SELECT max(id) FROM trials_trial))"
            )
    analyze()
    return time.perf_counter() - start


def analyze() -> None:
    """Fresh planner statistics and, on PostgreSQL, a current visibility map (index-only
    scans rely on it): what autovacuum gives a table soon after a bulk load."""
    # VACUUM cannot run inside a transaction (a test's): statistics alone there.
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


# --- The hand-written query -------------------------------------------------------------


def hand_sql(profile: dict[str, Any]) -> Callable[[], tuple[int, list[int]]]:
    """A function running hand-written SQL for the same filter as the screen, over the same
    table (trials_screeningprofile, the narrow copy the screen reads): the count (and the
    conflicts hidden), the page's ids in the same order, then the page's trial rows and
    facets. Returns (count, page ids)."""
    from trials.criteria import DISEASE_LABELS, normalise_condition, related_diseases
    from trials.screening.answers import answers_from_data
    from trials.screening.verdicts import DAYS_PER_YEAR, MAX_DAYS_PER_YEAR, MIN_DAYS_PER_YEAR
    from trials.screening.vocabulary import (
        STAGE_BITS,
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

    a = answers_from_data(profile)
    # Substring tests as the screen makes them (cheaper than LIKE '%...%' on both).
    find = "strpos" if connection.vendor == "postgresql" else "instr"
    where: list[str] = [
        "p.cytokine_mask > 0",
        "p.trial_id NOT IN (SELECT id FROM trials_trial WHERE removed_at IS NOT NULL)",
    ]
    params: list[Any] = []
    families = cytokine_families_for(a.cytokine)
    if families:
        where.append("(p.cytokine_mask & %s) > 0")
        params.append(cytokine_mask(families))
    text = search_text(a.condition)
    if text:
        code = text if text in DISEASE_LABELS else normalise_condition(text)
        # The disease with its broader and narrower ones, as the screen matches them.
        codes = sorted(related_diseases(code)) if code else []
        tests = [f"{find}(p.condition_names, %s) > 0"]
        tests += [f"{find}(p.diseases, %s) > 0"] * len(codes)
        where.append(f"({' OR '.join(tests)})")
        params += [text, *(f"|{c}|" for c in codes)]
    if a.status is not None:
        # The rank, as the screen does: the order index leads with it.
        where.append(f"p.status_rank IN ({', '.join(['%s'] * len(a.status))})")
        params += [status_rank(s) for s in a.status]
    if a.phase:
        where.append("(p.phase_mask & %s) > 0")
        params.append(phase_mask(a.phase))
    if a.country:
        where.append(f"{find}(p.countries, %s) > 0")
        params.append(f"|{country_key(a.country)}|")

    # Conflicts: the same rules as trials.selectors.profile_conflict_q, written out.
    parts: list[str] = []
    cparams: list[Any] = []
    if a.stage is not None:
        parts.append("(NOT p.stage_review AND p.stage_mask > 0 AND (p.stage_mask & %s) = 0)")
        cparams.append(STAGE_BITS[a.stage])
    if a.resectable is not None:
        parts.append("(NOT p.resectability_review AND p.resectability = %s)")
        cparams.append("unresectable" if a.resectable else "resectable")
    prior: list[str] = []
    if a.prior_treatments is not None:
        answered = frozenset(a.prior_treatments)
        had = with_ancestors(answered)
        maybe = frozenset(d for x in answered for d in descendants(x)) - had
        had_mask = treatment_mask(had)
        required_bad = sum(TREATMENT_CLASS_BITS.values()) & ~(had_mask | treatment_mask(maybe))
        if required_bad:
            prior.append("(p.prior_required_mask & %s) > 0")
            cparams.append(required_bad)
        if had_mask:
            prior.append("(p.prior_excluded_mask & %s) > 0")
            cparams.append(had_mask)
    if a.prior_lines is not None:
        prior.append("p.max_prior_lines < %s")
        prior.append("p.min_prior_lines > %s")
        cparams += [a.prior_lines, a.prior_lines]
    if prior:
        parts.append(f"(NOT p.prior_review AND ({' OR '.join(prior)}))")
    if a.age is not None:
        parts.append(
            "(p.minimum_age_in_years AND p.minimum_age_days >= %s)"
            " OR (NOT p.minimum_age_in_years AND p.minimum_age_days >= %s)"
            " OR (p.maximum_age_in_years AND p.maximum_age_days < %s)"
            " OR (NOT p.maximum_age_in_years AND p.maximum_age_days < %s)"
        )
        cparams += [
            (a.age + 1) * DAYS_PER_YEAR,
            (a.age + 1) * MAX_DAYS_PER_YEAR,
            a.age * DAYS_PER_YEAR,
            a.age * MIN_DAYS_PER_YEAR,
        ]
    if a.sex is not None:
        parts.append("p.sex = %s")
        cparams.append("MALE" if a.sex == "female" else "FEMALE")
    conflict = " OR ".join(parts)
    base = f"FROM trials_screeningprofile p WHERE {' AND '.join(where)}"
    order = {
        "last_update": "p.last_update_day DESC, p.registry_id",
        "nct_id": "p.registry_id",
    }.get(a.ordering, "p.status_rank, p.last_update_day DESC, p.registry_id")
    hide = bool(conflict) and not a.include_conflicts
    if hide:
        count_sql = (
            f"SELECT count(*), coalesce(sum(CASE WHEN ({conflict}) THEN 1 ELSE 0 END), 0) {base}"
        )
        count_params = cparams + params
        # NULL limits never conflict: coalesce the condition so NOT keeps those rows.
        page_sql = (
            f"SELECT p.trial_id {base} AND NOT coalesce(({conflict}), false) "
            f"ORDER BY {order} LIMIT %s OFFSET %s"
        )
        page_params = params + cparams
    else:
        count_sql, count_params = f"SELECT count(*), 0 {base}", params
        page_sql = f"SELECT p.trial_id {base} ORDER BY {order} LIMIT %s OFFSET %s"
        page_params = params
    page_params = [*page_params, a.page_size, (a.page - 1) * a.page_size]

    def run() -> tuple[int, list[int]]:
        with connection.cursor() as cursor:
            cursor.execute(count_sql, count_params)
            total, hidden = cursor.fetchone()
            cursor.execute(page_sql, page_params)
            ids = [row[0] for row in cursor.fetchall()]
            if ids:
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(
                    "SELECT id, registry_id, brief_title, overall_status, minimum_age_days, "
                    f"maximum_age_days, sex FROM trials_trial WHERE id IN ({marks})",
                    ids,
                )
                cursor.fetchall()
                cursor.execute(
                    f"SELECT trial_id, kind, value, evidence, review FROM trials_facet "
                    f"WHERE trial_id IN ({marks})",
                    ids,
                )
                cursor.fetchall()
        return int(total) - int(hidden if hide else 0), ids

    return run


# --- Timing ---------------------------------------------------------------------------


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return round(ordered[k] * 1000, 1)

    return {
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
        "samples": len(ordered),
    }


def _timed(fn: Callable[[], Any], repeats: int, warmup: int = 2) -> Iterator[float]:
    for _ in range(warmup):
        fn()
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        yield time.perf_counter() - start


def form_data(profile: dict[str, Any]) -> dict[str, Any]:
    """The same answers as the web form posts them."""
    data: dict[str, Any] = {}
    for key, value in profile.items():
        if isinstance(value, bool):
            if key == "include_conflicts":
                if value:
                    data[key] = "on"
            else:
                data[key] = "true" if value else "false"
        elif key == "prior_treatments" and value == []:
            data[key] = ["none"]
        else:
            data[key] = value
    return data


def measure(repeats: int) -> dict[str, Any]:
    """p50/p95/p99 of the API, the results page and the hand-written SQL, over PROFILES."""
    import json

    from django.test import Client

    client = Client()
    api: list[float] = []
    page: list[float] = []
    hand: list[float] = []
    checks: list[dict[str, Any]] = []
    for profile in PROFILES:
        body = json.dumps(profile)

        def call_api(body: str = body) -> Any:
            response = client.post("/api/v1/screen/", body, content_type="application/json")
            if response.status_code != 200:
                raise RuntimeError(f"screen API {response.status_code}: {response.content[:300]}")
            return response

        def call_page(data: dict[str, Any] = form_data(profile)) -> Any:  # noqa: B008
            response = client.post("/", data)
            if response.status_code != 200:
                raise RuntimeError(f"results page {response.status_code} for {data}")
            return response

        run_sql = hand_sql(profile)
        api += _timed(call_api, repeats)
        page += _timed(call_page, repeats)
        hand += _timed(run_sql, repeats)
        answer = call_api().json()
        count, ids = run_sql()
        checks.append(
            {
                "profile": profile,
                "api_count": answer["count"],
                "sql_count": count,
                "same_count": answer["count"] == count,
                "same_first_page": [r["nct_id"] for r in answer["results"]] == _registry_ids(ids),
            }
        )
    return {
        "api": percentiles(api),
        "page": percentiles(page),
        "hand_sql": percentiles(hand),
        "checks": checks,
    }


def _registry_ids(ids: list[int]) -> list[str]:
    from trials.models import Trial

    names = dict(Trial.objects.filter(pk__in=ids).values_list("pk", "registry_id"))
    return [names[i] for i in ids]
