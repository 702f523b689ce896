"""The screen's filters over the profile's copies agree with the same filters over the
registry tables (Trial, Condition, Intervention, Location), and the copies follow ingest,
removal and return.

`profiles_search` reads one narrow table; `trials_filter_*` read the registry rows the
copies come from. A table of varied trials is held against a table of filters: both must
find exactly the same trials.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from tests.conftest import StudyFactory, TrialFactory
from trials import selectors
from trials.models import CytokineFamily, Intervention, ScreeningProfile, Trial
from trials.screening.answers import Answers
from trials.services.ingest import trials_ingest_batch

pytestmark = pytest.mark.django_db

CONDITIONS: list[tuple[str, ...]] = [
    ("Melanoma",),
    ("Stage IV Cutaneous Melanoma AJCC v8", "Melanoma"),
    ("Pleural Mesothelioma",),
    ("Mesothelioma",),
    ("Advanced Solid Tumors",),
    ("Renal Cell Carcinoma",),
    ("Non-Small Cell Lung Cancer",),
    ("Acute Myeloid Leukemia",),
    ("Breast Cancer", "HER2-negative Breast Carcinoma"),
    ("Healthy",),
]
FAMILIES: list[tuple[str, ...]] = [("IL2",), ("IL15",), ("IFN_ALPHA",), ("IL2", "IFN_ALPHA"), ("",)]
STATUSES = ["RECRUITING", "NOT_YET_RECRUITING", "COMPLETED", "ACTIVE_NOT_RECRUITING"]
PHASES: list[tuple[str, ...]] = [
    ("PHASE1",),
    ("PHASE2",),
    ("PHASE1", "PHASE2"),
    ("EARLY_PHASE1",),
    (),
]
COUNTRIES: list[tuple[str, ...]] = [
    ("United States",),
    ("France", "Germany"),
    ("united states", "Canada"),
    ("French Guiana",),
    (),
]

FILTERS: list[dict[str, Any]] = [
    {},
    {"status": None},
    {"status": ("COMPLETED",)},
    # Known statuses are matched on their rank, anything else on the text.
    {"status": ("ACTIVE_NOT_RECRUITING", "SUSPENDED", "ENROLLING_BY_INVITATION")},
    {"status": ("NOT_A_REGISTRY_STATUS",)},
    {"status": ("RECRUITING", "NOT_A_REGISTRY_STATUS")},
    {"cytokine": ("IL2",)},
    {"cytokine": ("interferon",)},
    {"cytokine": ("interleukin",), "status": None},
    {"condition": "melanoma"},
    {"condition": "MELANOMA"},
    {"condition": "pleural mesothelioma"},
    {"condition": "mesothelioma"},
    {"condition": "kidney cancer"},
    {"condition": "non-small cell"},
    {"condition": "Non-Small Cell"},
    {"condition": "breast carcinoma"},
    {"condition": "leukemia", "status": None},
    {"condition": "100%"},
    {"condition": "_"},
    {"phase": ("PHASE1",)},
    {"phase": ("PHASE1", "PHASE2")},
    {"phase": ("EARLY_PHASE1",), "status": None},
    {"country": "United States"},
    {"country": "united states "},
    {"country": "France"},
    {"country": "French"},
    {"country": "Guiana"},
    {"cytokine": ("IL2",), "condition": "melanoma", "country": "United States", "status": None},
]


@pytest.fixture
def varied_trials(trial_factory: TrialFactory) -> list[Any]:
    rnd = random.Random(20261201)
    trials = []
    for i in range(60):
        trials.append(
            trial_factory(
                f"NCT3{i:07d}",
                conditions=rnd.choice(CONDITIONS),
                families=rnd.choice(FAMILIES),
                status=rnd.choice(STATUSES),
                phases=rnd.choice(PHASES),
                locations=tuple({"facility": "Site", "country": c} for c in rnd.choice(COUNTRIES)),
                removed=i % 13 == 0,
            )
        )
    return trials


def _reference(
    *,
    cytokine: tuple[str, ...] = (),
    condition: str = "",
    status: tuple[str, ...] | None = ("RECRUITING", "NOT_YET_RECRUITING"),
    phase: tuple[str, ...] = (),
    country: str = "",
) -> set[int]:
    """The same filters over the registry tables."""
    cytokine_rows = Intervention.objects.filter(trial=OuterRef("pk")).exclude(
        cytokine_family=CytokineFamily.NONE
    )
    trials: QuerySet[Trial] = Trial.objects.filter(Exists(cytokine_rows), removed_at__isnull=True)
    trials = selectors.trials_filter_cytokine(trials, cytokine=cytokine)
    trials = selectors.trials_filter_condition(trials, condition=condition)
    trials = selectors.trials_filter_status(trials, status=status)
    trials = selectors.trials_filter_phase(trials, phase=phase)
    trials = selectors.trials_filter_country(trials, country=country)
    return set(trials.values_list("pk", flat=True))


@pytest.mark.parametrize("filters", FILTERS, ids=[str(f) for f in FILTERS])
def test_profile_search_finds_what_the_registry_tables_find(
    varied_trials: list[Any], filters: dict[str, Any]
) -> None:
    arguments = {"status": ("RECRUITING", "NOT_YET_RECRUITING"), **filters}
    expected = _reference(**arguments)
    found = set(selectors.profiles_search(**arguments).values_list("trial_id", flat=True))
    assert found == expected
    if filters in ({}, {"status": None}):
        assert expected, "the table of trials must give the broad filters something to find"


def test_condition_search_reads_runs_of_spaces_as_one(trial_factory: TrialFactory) -> None:
    # More lenient than the registry-table filter (raw substring), never stricter: a
    # doubled space in a listing or a query must not hide a trial.
    listed = trial_factory("NCT40000041", conditions=("Non-Small  Cell Lung Cancer",))
    for query in ("non-small cell lung", "Non-Small  Cell", " non-small\tcell "):
        found = selectors.profiles_search(condition=query).values_list("trial_id", flat=True)
        assert list(found) == [listed.pk], query


def test_scope_through_the_profile_is_scope_through_interventions(
    varied_trials: list[Any],
) -> None:
    in_scope = set(selectors.trials_in_scope().values_list("pk", flat=True))
    assert in_scope == _reference(status=None)
    assert 0 < len(in_scope) < len(varied_trials)


@pytest.mark.usefixtures("screen_path")
def test_the_screen_orders_as_the_trial_columns_say(trial_factory: TrialFactory) -> None:
    trial_factory("NCT40000001", status="NOT_YET_RECRUITING", last_update="2025-06-01")
    trial_factory("NCT40000002", status="RECRUITING", last_update="2024-01-01")
    trial_factory("NCT40000003", status="RECRUITING", last_update="")
    trial_factory("NCT40000004", status="RECRUITING", last_update="2025-01-01")

    def ids(ordering: str) -> list[str]:
        result = selectors.trials_screen(answers=Answers(ordering=ordering))
        return [r.trial.registry_id for r in result.results]

    # Unknown update dates go last in both date orders.
    assert ids("status") == ["NCT40000004", "NCT40000002", "NCT40000003", "NCT40000001"]
    assert ids("last_update") == ["NCT40000001", "NCT40000004", "NCT40000002", "NCT40000003"]
    assert ids("nct_id") == ["NCT40000001", "NCT40000002", "NCT40000003", "NCT40000004"]


@pytest.mark.usefixtures("screen_path")
def test_a_removed_trial_leaves_the_screen_without_a_profile_rebuild(
    trial_factory: TrialFactory,
) -> None:
    kept = trial_factory("NCT40000011")
    gone = trial_factory("NCT40000012")
    # As sync marks removals: one UPDATE of Trial, profiles untouched.
    Trial.objects.filter(pk=gone.pk).update(removed_at=timezone.now())
    result = selectors.trials_screen(answers=Answers())
    assert [r.trial.pk for r in result.results] == [kept.pk]
    assert result.count == 1


def test_profile_copies_follow_an_updated_registry_record(make_study: StudyFactory) -> None:
    study = make_study(
        "NCT40000021",
        **{"statusModule.overallStatus": "RECRUITING", "conditionsModule.conditions": ["Melanoma"]},
    )
    [first] = trials_ingest_batch(raws=[study])
    assert selectors.profiles_search(condition="melanoma").filter(trial_id=first.trial_id)

    changed = make_study(
        "NCT40000021",
        **{
            "statusModule.overallStatus": "COMPLETED",
            "conditionsModule.conditions": ["Mesothelioma"],
        },
    )
    [second] = trials_ingest_batch(raws=[changed])
    assert second.outcome == "updated"
    profile = ScreeningProfile.objects.get(trial_id=first.trial_id)
    assert (profile.overall_status, profile.diseases) == ("COMPLETED", "|mesothelioma|")
    assert not selectors.profiles_search(condition="melanoma", status=None).exists()
    assert selectors.profiles_search(condition="mesothelioma", status=("COMPLETED",)).exists()


def test_a_returning_unchanged_trial_is_back_in_the_screen(make_study: StudyFactory) -> None:
    study = make_study("NCT40000031")
    [result] = trials_ingest_batch(raws=[study])
    Trial.objects.filter(pk=result.trial_id).update(removed_at=timezone.now())
    assert not selectors.profiles_in_scope().filter(trial_id=result.trial_id).exists()
    [again] = trials_ingest_batch(raws=[study])
    assert again.outcome == "unchanged"
    assert selectors.profiles_in_scope().filter(trial_id=result.trial_id).exists()
