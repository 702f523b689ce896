"""The review queue and the trial change page as a curator sees them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import StudyFactory
from trials.models import Facet, Provenance, ReviewStatus, Trial
from trials.services.ingest import trial_ingest

pytestmark = pytest.mark.django_db


def queue(client: Client, query: str = "") -> str:
    response = client.get(reverse("admin:trials_trial_review_queue") + query)
    assert response.status_code == 200
    return response.content.decode()


def listed(page: str) -> list[str]:
    """NCT ids in the changelist's rows, in order."""
    return re.findall(r'<th class="field-registry_id"><a href="[^"]+">(NCT\d+)</a>', page)


def change_page(client: Client, trial: Trial) -> str:
    response = client.get(reverse("admin:trials_trial_change", args=[trial.pk]))
    assert response.status_code == 200
    return response.content.decode()


def ingest(make_study: StudyFactory, nct_id: str, **overrides: Any) -> Trial:
    trial_ingest(raw=make_study(nct_id, **overrides))
    return Trial.objects.get(registry_id=nct_id)


def flag(trial: Trial, kind: str = "stages") -> None:
    Facet.objects.filter(trial=trial, kind=kind).update(review=ReviewStatus.NEEDS_REVIEW)


@pytest.fixture
def three_trials(make_study: StudyFactory) -> dict[str, Trial]:
    """An IL-2 melanoma trial (May 2025), an interferon kidney trial (Aug 2025), and an IL-2
    trial nobody needs to review."""
    melanoma = ingest(make_study, "NCT90000001")
    kidney = ingest(
        make_study,
        "NCT90000002",
        **{
            "statusModule.lastUpdatePostDateStruct": {"date": "2025-08-01"},
            "statusModule.overallStatus": "NOT_YET_RECRUITING",
            "conditionsModule.conditions": ["Renal Cell Carcinoma"],
            "armsInterventionsModule.interventions": [
                {"type": "DRUG", "name": "Interferon alfa-2b", "otherNames": ["Intron A"]}
            ],
        },
    )
    quiet = ingest(make_study, "NCT90000003")
    flag(melanoma)
    flag(kidney, "prior_treatment")
    flag(kidney, "resectability")
    return {"melanoma": melanoma, "kidney": kidney, "quiet": quiet}


def test_queue_lists_trials_needing_review_newest_registry_change_first(
    three_trials: dict[str, Trial], client_as: Callable[[str], Client]
) -> None:
    page = queue(client_as("curator"))
    assert listed(page) == ["NCT90000002", "NCT90000001"]
    assert "2 trials wait for review" in page
    assert "2 with low-confidence extraction" in page
    assert '<td class="field-waiting">2 facets: 2 low-confidence</td>' in page
    assert "Aldesleukin with Pembrolizumab in Unresectable Melanoma · IL2" in page
    assert "Interferon" in page and "· IFN_ALPHA" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?family=IFN_ALPHA", ["NCT90000002"]),
        ("?family=IL2", ["NCT90000001"]),
        ("?disease=renal_cell_carcinoma", ["NCT90000002"]),
        ("?disease=melanoma", ["NCT90000001"]),
        ("?overall_status__exact=RECRUITING", ["NCT90000001"]),
        ("?review=all", ["NCT90000002", "NCT90000001", "NCT90000003"]),
        ("?review=text_changed", []),
        ("?review=low_confidence&family=IFN_ALPHA", ["NCT90000002"]),
    ],
)
def test_queue_filters(
    three_trials: dict[str, Trial],
    client_as: Callable[[str], Client],
    query: str,
    expected: list[str],
) -> None:
    assert listed(queue(client_as("curator"), query)) == expected


def test_queue_filters_show_counts(
    three_trials: dict[str, Trial], client_as: Callable[[str], Client]
) -> None:
    page = queue(client_as("curator"))
    assert "Interferon alfa (1)" in page
    assert "Interleukin-2 (1)" in page
    assert "Needs review (any reason) (2)" in page


def test_changed_registry_version_puts_the_trial_in_the_queue_with_a_diff(
    trial: Trial,
    curator: Any,
    client_as: Callable[[str], Client],
    changed_study: dict[str, Any],
) -> None:
    from trials.services.curation import facet_curate

    client = client_as("curator")
    facet_curate(trial=trial, kind="stages", value=["IV"], user=curator, note="IV only")
    assert listed(queue(client)) == []

    trial_ingest(raw=changed_study)
    page = queue(client)
    assert listed(page) == ["NCT90000001"]
    assert '<td class="field-waiting">1 facet: 1 text changed</td>' in page
    assert listed(queue(client, "?review=text_changed")) == ["NCT90000001"]

    page = change_page(client, trial)
    assert "The registry changed the criteria text after a curator judged: Stage" in page
    assert '<li class="diff-remove"><span class="diff-mark" aria-hidden="true">&minus;</span>' in (
        page
    )
    assert "<del>* Unresectable stage III or stage IV melanoma</del>" in page
    assert "<ins>* Unresectable stage III melanoma</ins>" in page
    # Registry text is escaped, never markup.
    assert "&lt;b&gt;anti-PD-1&lt;/b&gt; &amp; anti-CTLA-4" in page
    assert "<b>anti-PD-1</b>" not in page


def test_change_page_shows_criteria_beside_facets_and_evidence(
    trial: Trial, client_as: Callable[[str], Client]
) -> None:
    page = change_page(client_as("curator"), trial)
    criteria = page.index('id="criteria-title"')
    facets = page.index('id="facets-title"')
    assert criteria < page.index("Prior treatment with interleukin-2") < facets
    assert "<h4>Inclusion</h4>" in page and "<h4>Exclusion</h4>" in page
    card = page[page.index('id="facet-prior_treatment"') :]
    assert "&ldquo;Prior treatment with interleukin-2&rdquo;" in card
    assert "<code>prior.excluded</code>" in card
    assert "Save correction" in card and "Mark wrong" in card


def test_viewer_sees_the_page_without_curation_forms(
    trial: Trial, client_as: Callable[[str], Client]
) -> None:
    page = change_page(client_as("viewer"), trial)
    assert 'id="facet-stages"' in page
    assert 'name="_curate"' not in page


def test_correcting_on_the_change_page_records_the_curator_and_note(
    trial: Trial, client_as: Callable[[str], Client]
) -> None:
    client = client_as("curator")
    url = reverse("admin:trials_trial_change", args=[trial.pk])
    quoted = trial.criteria.get(text="Prior treatment with interleukin-2")
    response = client.post(
        url,
        {
            "_curate": "prior_treatment",
            "_action": "curate",
            "prior_treatment-required": ["platinum_chemotherapy"],
            "prior_treatment-excluded": ["interleukin", "interferon"],
            "prior_treatment-min_prior_lines": "1",
            "prior_treatment-max_prior_lines": "",
            "prior_treatment-note": "listing says platinum-refractory",
            "prior_treatment-evidence": [f"criterion-{quoted.pk}"],
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith("#facet-prior_treatment")
    assert "Prior treatment saved." in response.content.decode()
    facet = Facet.objects.get(trial=trial, kind="prior_treatment")
    assert facet.value == {
        "required": ["platinum_chemotherapy"],
        "excluded": ["interleukin", "interferon"],
        "min_prior_lines": 1,
        "max_prior_lines": None,
    }
    assert facet.provenance == Provenance.CURATED
    assert facet.curator is not None and facet.curator.username == "curator-user"
    assert facet.note == "listing says platinum-refractory"
    assert facet.evidence == [
        {"criterion": "Prior treatment with interleukin-2", "section": "exclusion"}
    ]
    page = response.content.decode()
    assert "Curated by curator-user" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"prior_treatment-min_prior_lines": "3", "prior_treatment-max_prior_lines": "1"},
            "min_prior_lines cannot be greater than max_prior_lines.",
        ),
        (
            {"prior_treatment-max_prior_lines": "-1"},
            "max_prior_lines: expected a whole number of 0 or more, or null.",
        ),
        ({"prior_treatment-excluded": ["radiation"]}, "Select a valid choice."),
        (
            {
                "prior_treatment-required": ["surgery"],
                "prior_treatment-excluded": ["surgery"],
            },
            "surgery cannot be both required and excluded.",
        ),
    ],
)
def test_invalid_corrections_show_the_page_again_with_the_error(
    trial: Trial, client_as: Callable[[str], Client], data: dict[str, Any], message: str
) -> None:
    client = client_as("curator")
    url = reverse("admin:trials_trial_change", args=[trial.pk])
    response = client.post(url, {"_curate": "prior_treatment", "_action": "curate", **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    facet = Facet.objects.get(trial=trial, kind="prior_treatment")
    assert facet.provenance == Provenance.EXTRACTED


def test_adding_a_missed_facet_from_the_change_page(
    trial: Trial, client_as: Callable[[str], Client]
) -> None:
    Facet.objects.filter(trial=trial, kind="resectability").delete()
    client = client_as("curator")
    page = change_page(client, trial)
    card = page[page.index('id="facet-resectability"') :]
    assert "Not extracted" in card and "Add facet" in card
    criterion = trial.criteria.get(text__startswith="Unresectable")
    client.post(
        reverse("admin:trials_trial_change", args=[trial.pk]),
        {
            "_curate": "resectability",
            "_action": "curate",
            "resectability-resectability": "unresectable",
            "resectability-evidence": [f"criterion-{criterion.pk}"],
        },
    )
    added = Facet.objects.get(trial=trial, kind="resectability")
    assert added.value == "unresectable"
    assert added.evidence == [{"criterion": criterion.text, "section": "inclusion"}]


@pytest.mark.parametrize(
    "data",
    [
        {"_curate": "stages", "_action": "delete"},
        {"_curate": "nonsense", "_action": "curate"},
        {"_curate": "washout", "_action": "curate"},
    ],
)
def test_unknown_curation_steps_are_bad_requests(
    trial: Trial, client_as: Callable[[str], Client], data: dict[str, str]
) -> None:
    response = client_as("curator").post(
        reverse("admin:trials_trial_change", args=[trial.pk]), data
    )
    assert response.status_code == 400
    assert not Facet.objects.filter(trial=trial, provenance=Provenance.CURATED).exists()


def test_index_links_the_review_queue_for_curators(client_as: Callable[[str], Client]) -> None:
    page = client_as("curator").get(reverse("admin:index")).content.decode()
    assert reverse("admin:trials_trial_review_queue") in page


def test_queue_puts_trials_without_an_update_date_last(
    make_study: StudyFactory, client_as: Callable[[str], Client], delete_marker: object
) -> None:
    undated = ingest(
        make_study, "NCT90000004", **{"statusModule.lastUpdatePostDateStruct": delete_marker}
    )
    older = ingest(
        make_study,
        "NCT90000005",
        **{"statusModule.lastUpdatePostDateStruct": {"date": "2024-01-05"}},
    )
    newer = ingest(make_study, "NCT90000006")
    for trial in (undated, older, newer):
        flag(trial)
    assert undated.last_update_posted is None
    assert older.last_update_posted == dt.date(2024, 1, 5)
    assert listed(queue(client_as("curator"))) == ["NCT90000006", "NCT90000005", "NCT90000004"]


def test_evidence_can_drop_a_condition_name_quoted_by_extraction(
    trial: Trial, client_as: Callable[[str], Client]
) -> None:
    client = client_as("curator")
    page = change_page(client, trial)
    card = page[page.index('id="facet-stages"') : page.index('id="facet-resectability"')]
    assert "Condition: Stage IV Cutaneous Melanoma AJCC v8" in card
    kept = trial.criteria.get(text__startswith="Unresectable")
    client.post(
        reverse("admin:trials_trial_change", args=[trial.pk]),
        {
            "_curate": "stages",
            "_action": "curate",
            "stages-stages": ["III"],
            "stages-evidence": [f"criterion-{kept.pk}"],
        },
    )
    assert Facet.objects.get(trial=trial, kind="stages").evidence == [
        {"criterion": kept.text, "section": "inclusion"}
    ]
