"""trials_screen: plain filters in SQL, conflicts left out in SQL, verdicts for one page."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import TrialFactory
from trials.screening.answers import Answers, Near
from trials.selectors import distance_km, trials_screen

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("screen_path")]

BOSTON = {
    "facility": "Boston site",
    "city": "Boston",
    "country": "United States",
    "latitude": 42.36,
    "longitude": -71.06,
}
NEW_YORK = {
    "facility": "New York site",
    "city": "New York",
    "country": "United States",
    "latitude": 40.71,
    "longitude": -74.01,
}
PARIS = {
    "facility": "Paris site",
    "city": "Paris",
    "country": "France",
    "latitude": 48.86,
    "longitude": 2.35,
}
SUVA = {
    "facility": "Suva site",
    "city": "Suva",
    "country": "Fiji",
    "latitude": -18.14,
    "longitude": 178.44,
}


def ids(answers: Answers) -> list[str]:
    return [s.trial.registry_id for s in trials_screen(answers=answers).results]


@pytest.fixture
def catalogue(trial_factory: TrialFactory) -> None:
    trial_factory(
        "NCT10000001",
        families=("IL2",),
        conditions=("Metastatic Melanoma",),
        phases=("PHASE2",),
        locations=(BOSTON,),
        last_update="2025-01-10",
    )
    trial_factory(
        "NCT10000002",
        families=("IFN_ALPHA",),
        conditions=("Renal Cell Carcinoma",),
        phases=("PHASE1", "PHASE2"),
        locations=(PARIS,),
        last_update="2025-03-01",
        status="NOT_YET_RECRUITING",
    )
    trial_factory(
        "NCT10000003",
        families=("IL15",),
        conditions=("Bladder Cancer",),
        phases=("EARLY_PHASE1",),
        locations=(NEW_YORK, SUVA),
        last_update="2024-12-01",
    )
    trial_factory("NCT10000004", families=("IL2",), status="COMPLETED", locations=(BOSTON,))
    trial_factory("NCT10000005", families=("IL2",), removed=True)
    # Out of scope: no cytokine therapy (e.g. a blocker found by the generous sync query).
    trial_factory("NCT10000006", families=("",), conditions=("Melanoma",))


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # Default status: recruiting and not yet recruiting; removed and out of scope never.
        (Answers(), ["NCT10000001", "NCT10000002", "NCT10000003"]),
        (Answers(status=None), ["NCT10000001", "NCT10000002", "NCT10000003", "NCT10000004"]),
        (Answers(status=("COMPLETED",)), ["NCT10000004"]),
        (Answers(cytokine=("interferon",)), ["NCT10000002"]),
        (Answers(cytokine=("IL2", "IL15")), ["NCT10000001", "NCT10000003"]),
        (Answers(cytokine=("interleukin",)), ["NCT10000001", "NCT10000003"]),
        (Answers(condition="melanoma"), ["NCT10000001"]),
        (Answers(condition="kidney cancer"), ["NCT10000002"]),  # read as a disease code
        (Answers(condition="renal_cell_carcinoma"), ["NCT10000002"]),
        (Answers(condition="urothelial"), ["NCT10000003"]),  # bladder_cancer by code
        (Answers(phase=("PHASE1",)), ["NCT10000002"]),  # not EARLY_PHASE1
        (Answers(phase=("EARLY_PHASE1", "PHASE2")), ["NCT10000001", "NCT10000002", "NCT10000003"]),
        (Answers(country="france"), ["NCT10000002"]),
        (Answers(country="Fiji"), ["NCT10000003"]),
    ],
)
def test_plain_filters(catalogue: None, answers: Answers, expected: list[str]) -> None:
    assert sorted(ids(replace(answers, ordering="nct_id"))) == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        # Recruiting first, then not yet recruiting, each newest update first.
        ("status", ["NCT10000001", "NCT10000003", "NCT10000002"]),
        ("last_update", ["NCT10000002", "NCT10000001", "NCT10000003"]),
        ("nct_id", ["NCT10000001", "NCT10000002", "NCT10000003"]),
    ],
)
def test_ordering_by_neutral_keys(catalogue: None, ordering: str, expected: list[str]) -> None:
    assert ids(Answers(ordering=ordering)) == expected


@pytest.mark.parametrize(
    ("near", "expected"),
    [
        # 300 km of Boston: Boston (0 km) then New York (~306 km) is outside, so only Boston.
        (Near(42.36, -71.06, 300), ["NCT10000001"]),
        (Near(42.36, -71.06, 350), ["NCT10000001", "NCT10000003"]),
        # Across the date line: Suva (178.44 E) from a point at 179.9 W.
        (Near(-18.14, -179.9, 300), ["NCT10000003"]),
        (Near(0.0, 0.0, 50), []),
    ],
)
def test_near_keeps_trials_with_a_site_in_the_radius_nearest_first(
    catalogue: None, near: Near, expected: list[str]
) -> None:
    result = trials_screen(answers=Answers(near=near, ordering="distance"))
    assert [s.trial.registry_id for s in result.results] == expected
    assert result.count == len(expected)
    distances = [s.distance_km for s in result.results]
    assert all(d is not None and d <= near.radius_km for d in distances)
    assert distances == sorted(distances)  # type: ignore[type-var]


def test_nearest_locations_come_first_with_their_distance(catalogue: None) -> None:
    result = trials_screen(answers=Answers(near=Near(-18.0, 178.0, 500), cytokine=("IL15",)))
    (screened,) = result.results
    assert [loc.city for loc in screened.nearest_locations] == ["Suva", "New York"]
    assert screened.nearest_locations[0].distance_km == pytest.approx(
        distance_km(-18.0, 178.0, -18.14, 178.44)
    )


def test_a_result_shows_three_sites_chosen_country_first_and_counts_them_all(
    trial_factory: TrialFactory,
) -> None:
    sites = [
        {"facility": f"Site {i}", "city": f"City {i}", "country": country}
        for i, country in enumerate(
            ["United States", "France", "United States", "Fiji", "France", "Germany", "France"]
        )
    ]
    trial_factory("NCT10000001", locations=tuple(sites))
    trial_factory("NCT10000002", locations=())

    def shown(country: str) -> dict[str, tuple[list[str], int]]:
        result = trials_screen(answers=Answers(country=country, ordering="nct_id"))
        return {
            s.trial.registry_id: ([loc.facility for loc in s.nearest_locations], s.location_count)
            for s in result.results
        }

    assert shown("") == {
        "NCT10000001": (["Site 0", "Site 1", "Site 2"], 7),
        "NCT10000002": ([], 0),
    }
    # In the chosen country first (in listed order), then the rest in listed order.
    assert shown("france") == {"NCT10000001": (["Site 1", "Site 4", "Site 6"], 7)}
    assert shown("Germany") == {"NCT10000001": (["Site 5", "Site 0", "Site 1"], 7)}


def test_distance_is_the_haversine_great_circle() -> None:
    assert distance_km(48.86, 2.35, 51.51, -0.13) == pytest.approx(343, abs=3)  # Paris-London


def test_conflicts_are_left_out_unless_asked_for(trial_factory: TrialFactory) -> None:
    trial_factory("NCT10000001", stages=["IV"])
    trial_factory("NCT10000002", stages=["II"])
    trial_factory("NCT10000003")
    answers = Answers(stage="IV", age=40, ordering="nct_id")
    result = trials_screen(answers=answers)
    assert [(s.trial.registry_id, s.verdict.verdict) for s in result.results] == [
        ("NCT10000001", "compatible"),
        ("NCT10000003", "compatible"),
    ]
    assert (result.count, result.hidden_conflicts) == (2, 1)
    everything = trials_screen(answers=replace(answers, include_conflicts=True))
    assert [s.verdict.verdict for s in everything.results] == [
        "compatible",
        "conflict",
        "compatible",
    ]
    assert everything.hidden_conflicts is None


def test_paging_counts_pages_and_slices(trial_factory: TrialFactory) -> None:
    for i in range(5):
        trial_factory(f"NCT1000000{i}")
    result = trials_screen(answers=Answers(ordering="nct_id", page=2, page_size=2))
    assert (result.count, result.pages, result.page) == (5, 3, 2)
    assert [s.trial.registry_id for s in result.results] == ["NCT10000002", "NCT10000003"]
    beyond = trials_screen(answers=Answers(page=9, page_size=2))
    assert (beyond.results, beyond.count) == ([], 5)


@pytest.mark.parametrize(
    "answers",
    [
        Answers(stage="IV", prior_treatments=("interleukin",), age=50, sex="female"),
        Answers(),
        Answers(stage="III", near=Near(42.36, -71.06, 500), ordering="distance"),
    ],
)
def test_a_page_costs_a_fixed_number_of_queries(
    trial_factory: TrialFactory, django_assert_max_num_queries: Any, answers: Answers
) -> None:
    for i in range(30):
        trial_factory(
            f"NCT100000{i:02d}",
            stages=["III", "IV"],
            locations=(BOSTON, NEW_YORK),
            prior={"excluded": ["platinum_chemotherapy"]},
        )
    # count (+ hidden conflicts), page ids, page trials, facets, conditions, agents, sites:
    # never per trial.
    with django_assert_max_num_queries(8):
        result = trials_screen(answers=replace(answers, page_size=25))
    assert len(result.results) == 25
    assert all(s.conditions and s.agents and s.verdict for s in result.results)


def test_the_api_screen_loads_the_same_verdicts_without_the_listing(
    trial_factory: TrialFactory, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        trial_factory(
            f"NCT100000{i:02d}",
            stages=["III", "IV"] if i % 2 else ["IV"],
            locations=(BOSTON,),
            prior={"excluded": ["platinum_chemotherapy"]},
        )
    answers = Answers(stage="III", prior_treatments=("interleukin",), age=50, page_size=25)
    listed = trials_screen(answers=answers)
    # The matches (one read; past SMALL_RESULT also a count and a page), the page's trials
    # and their facets: no sites, conditions or agents.
    with django_assert_max_num_queries(5):
        lean = trials_screen(answers=answers, listing=False)
    assert (
        (lean.count, lean.hidden_conflicts) == (listed.count, listed.hidden_conflicts) == (15, 15)
    )
    assert [(s.trial.registry_id, s.verdict) for s in lean.results] == [
        (s.trial.registry_id, s.verdict) for s in listed.results
    ]
    assert all(s.nearest_locations == [] for s in lean.results)


def test_a_condition_search_finds_broader_and_narrower_listings(
    trial_factory: TrialFactory,
) -> None:
    trial_factory("NCT20000001", conditions=("Mesothelioma",))  # site not given
    trial_factory("NCT20000002", conditions=("Malignant Pleural Mesothelioma",))
    trial_factory("NCT20000003", conditions=("Peritoneal Mesothelioma",))
    trial_factory("NCT20000004", conditions=("Advanced Solid Tumors",))
    trial_factory("NCT20000005", conditions=("Hodgkin Lymphoma",))
    pleural = Answers(condition="pleural mesothelioma", ordering="nct_id")
    assert ids(pleural) == ["NCT20000001", "NCT20000002", "NCT20000004"]
    assert ids(replace(pleural, condition="mesothelioma")) == [
        "NCT20000001",
        "NCT20000002",
        "NCT20000003",
        "NCT20000004",
    ]
    assert ids(replace(pleural, condition="lymphoma")) == ["NCT20000005"]


def test_a_filter_that_can_match_nothing_gives_an_empty_page(trial_factory: TrialFactory) -> None:
    trial_factory("NCT30000001")
    # A phase outside the vocabulary has no bit: the selector returns QuerySet.none().
    result = trials_screen(answers=Answers(phase=("NOT_A_PHASE",)))
    assert (result.count, result.results, result.hidden_conflicts) == (0, [], None)
    assert ids(Answers()) == ["NCT30000001"]
