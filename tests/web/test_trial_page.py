"""A trial's page: criteria by section, what was read from them, sites, versions."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from trials.models import Facet

pytestmark = pytest.mark.django_db


def test_trial_page_shows_criteria_by_section_with_the_read_ones_highlighted(
    client: Client, melanoma_trial: Any
) -> None:
    response = client.get("/trials/NCT10000001/")
    assert response.status_code == 200
    html = response.content.decode()
    inclusion, exclusion = (
        html.index("Inclusion criteria</h3>"),
        html.index("Exclusion criteria</h3>"),
    )
    assert inclusion < html.index("Measurable disease per RECIST 1.1") < exclusion
    assert exclusion < html.index("Prior treatment with interleukin-2</mark>")
    assert '<mark class="registry-text">Unresectable stage III or stage IV melanoma</mark>' in html
    assert "Read as: Stage" in html
    assert "Admits stage III, IV" in html  # the stage facet in words
    assert "Rules out earlier: Interleukin therapy." in html


def test_trial_page_shows_washout_notes_sites_contacts_and_versions(
    client: Client, melanoma_trial: Any
) -> None:
    html = client.get("/trials/NCT10000001/").content.decode()
    assert "Time limits on recent treatment" in html
    assert "never rules anyone out" in html
    assert "Example Cancer Center" in html and "Study Nurse" in html and "555-0100" in html
    assert "Version history" in html and "Fetched <time" in html
    assert "This is not medical advice." in html
    assert 'href="https://clinicaltrials.gov/study/NCT10000001" rel="noreferrer noopener"' in html
    assert "no-store" in client.get("/trials/NCT10000001/")["Cache-Control"]


def test_a_flagged_facet_says_it_is_not_used_to_rule_anyone_out(
    client: Client, melanoma_trial: Any
) -> None:
    Facet.objects.filter(trial=melanoma_trial, kind="stages").update(review="needs_review")
    html = client.get("/trials/NCT10000001/").content.decode()
    assert "Flagged for a person to check: not used to rule anything out." in html


def test_trial_page_posted_with_answers_shows_the_verdict(
    client: Client, melanoma_trial: Any
) -> None:
    response = client.post(
        "/trials/NCT10000001/", {"stage": "II", "prior_treatments": ["interleukin"]}
    )
    html = response.content.decode()
    assert "A listed criterion conflicts" in html
    assert "you said you had it" in html
    assert '<input type="hidden" name="stage" value="II">' in html  # back to the results
    assert "no-store" in response["Cache-Control"]


def test_trial_page_without_answers_shows_no_verdict(client: Client, melanoma_trial: Any) -> None:
    html = client.get("/trials/NCT10000001/").content.decode()
    assert "verdict-label" not in html
    assert "Open this trial with your answers" in html


def test_unknown_trial_is_404(client: Client) -> None:
    assert client.get("/trials/NCT00000000/").status_code == 404


def test_csv_export_lists_trials_and_verdicts_not_the_answers(
    client: Client, melanoma_trial: Any, kidney_trial: Any
) -> None:
    response = client.post(
        "/results.csv",
        {"stage": "IV", "age": "77", "condition": "melanoma", "prior_treatments": "none"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="cytokine-trials-')
    assert "IV" not in disposition and "77" not in disposition and "melanoma" not in disposition
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0].startswith("This is not medical advice.")
    assert rows[1][:3] == ["nct_id", "title", "status"]
    assert [r[0] for r in rows[2:]] == ["NCT10000001"]
    assert rows[2][6] == "No listed criterion conflicts with your answers"
    assert "Unresectable stage III or stage IV melanoma" in rows[2][7]


def test_csv_cells_that_look_like_formulas_are_quoted(client: Client, trial_factory: Any) -> None:
    trial_factory("NCT10000001", title='=HYPERLINK("http://x")')
    rows = list(csv.reader(io.StringIO(client.post("/results.csv", {}).content.decode())))
    assert rows[2][1] == '\'=HYPERLINK("http://x")'


def test_csv_export_only_by_post(client: Client) -> None:
    assert client.get("/results.csv?stage=IV").status_code == 405
