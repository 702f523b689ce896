"""Registry text is untrusted: markup in titles, condition names and criteria is shown as
text, on the public pages and in the admin.

The hostile listing goes through the real ingest path (trial_ingest on a registry-shaped
record), so its criteria are split, read into facets and quoted as the product does it.
Each page is checked twice: no element or attribute came from the registry's markup (no
<script> with the payload, no event-handler attribute, no javascript: URL), and the payload
is there as escaped text, so it was shown and not silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from tests.conftest import build_study
from tests.curation.fixtures import make_user
from trials.models import Criterion, Facet, ReviewStatus, Trial
from trials.services.ingest import trial_ingest

pytestmark = pytest.mark.django_db

NCT_ID = "NCT90000666"

# Short enough to survive the review queue's 70-character truncation whole.
TITLE_SCRIPT = "<script>alert(1)</script>"
TITLE_BREAKOUT = '"><svg onload=alert(2)>'
TITLE = f"IL-2 {TITLE_SCRIPT} {TITLE_BREAKOUT}"

CONDITION_SCRIPT = "<script>alert('condition')</script>"
CONDITION_IMG = "<img src=x onerror=alert('condition-img')>"
CONDITIONS = [f"Melanoma {CONDITION_SCRIPT}", f"Skin Cancer {CONDITION_IMG}"]

STAGE_SCRIPT = "<script>alert('criteria')</script>"
PRIOR_IMG = "<img src=x onerror=alert('exclusion')>"
MD_LINK = "[click](javascript:alert('link'))"
MD_AUTOLINK = "<javascript:alert('autolink')>"
HTML_BLOCK = "<div onclick=alert('block')>Measurable disease</div>"
# markdown-it decodes entities, so this is read as a real "<b ...>" tag: it must come out
# escaped all the same.
ENTITY_TAG = "&lt;b onmouseover=alert('entity')&gt;bold&lt;/b&gt;"
ENTITY_DECODED = "<b onmouseover=alert('entity')>bold</b>"

CRITERIA = (
    "Inclusion Criteria:\n\n"
    f"* Unresectable stage III or stage IV melanoma {STAGE_SCRIPT}\n"
    f"* Age 18 years or older, see {MD_LINK}\n"
    f"* Signed consent {MD_AUTOLINK}\n"
    "\n"
    f"{HTML_BLOCK}\n"
    "\n"
    "Exclusion Criteria:\n\n"
    f"* Prior treatment with interleukin-2 {PRIOR_IMG}\n"
    f"* Chemotherapy within 4 weeks before enrolment {ENTITY_TAG}\n"
)

# Text each page that shows it must carry, escaped (Django's escape: < > & ' ").
CRITERIA_SHOWN = [STAGE_SCRIPT, PRIOR_IMG, MD_LINK, MD_AUTOLINK, HTML_BLOCK, ENTITY_DECODED]
CONDITIONS_SHOWN = [CONDITION_SCRIPT, CONDITION_IMG]
TITLE_SHOWN = [TITLE_SCRIPT, TITLE_BREAKOUT]
# Raw markup that must never reach a page as markup.
RAW_MARKUP = [
    "<script>alert(",
    "<svg onload",
    "<img src=x",
    "<div onclick",
    "<b onmouseover",
    "<javascript:",
    'href="javascript:',
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class MarkupFromText(HTMLParser):
    """The elements and attributes of a page that registry text could have produced."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._in_script = True
        if tag in {"iframe", "object", "embed"}:
            self.problems.append(f"a <{tag}> element")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>: an event-handler attribute")
            if name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
            # Browsers ignore whitespace and control characters inside a URL scheme.
            scheme = "".join(ch for ch in value if ch > " ").lower()
            if name in URL_ATTRIBUTES and scheme.startswith(("javascript:", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value!r}>: a script URL")
            if tag == "img" and name == "src" and value == "x":
                self.problems.append("an <img src=x> from the registry text")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(" in data:
            self.problems.append(f"a script running registry text: {data[:80]!r}")


def assert_shown_as_text(html: str, shown: list[str]) -> None:
    """No markup from the registry text, and each payload present as escaped text."""
    parser = MarkupFromText()
    parser.feed(html)
    parser.close()
    assert parser.problems == []
    for raw in RAW_MARKUP:
        assert raw not in html, f"raw markup {raw!r} on the page"
    for text in shown:
        assert escape(text) in html, f"{text!r} is not on the page as escaped text"


def hostile_study(**overrides: Any) -> dict[str, Any]:
    return build_study(
        NCT_ID,
        **{
            "identificationModule.briefTitle": TITLE,
            "conditionsModule.conditions": CONDITIONS,
            "eligibilityModule.eligibilityCriteria": CRITERIA,
            **overrides,
        },
    )


@pytest.fixture
def hostile_trial() -> Trial:
    trial_ingest(raw=hostile_study())
    return Trial.objects.get(registry_id=NCT_ID)


def test_the_hostile_text_is_split_and_quoted_as_registry_text(hostile_trial: Trial) -> None:
    """The pages below show what ingest made of the text: check it made what they test."""
    criteria = {c.text: c.section for c in Criterion.objects.filter(trial=hostile_trial)}
    assert criteria[f"Unresectable stage III or stage IV melanoma {STAGE_SCRIPT}"] == ("inclusion")
    assert criteria[f"Prior treatment with interleukin-2 {PRIOR_IMG}"] == "exclusion"
    assert any(MD_LINK in text for text in criteria)
    assert any(MD_AUTOLINK in text for text in criteria)
    assert any(HTML_BLOCK in text for text in criteria)
    assert any(ENTITY_DECODED in text for text in criteria)
    stages = Facet.objects.get(trial=hostile_trial, kind="stages")
    assert stages.value == ["III", "IV"]
    assert any(STAGE_SCRIPT in e["criterion"] for e in stages.evidence)
    prior = Facet.objects.get(trial=hostile_trial, kind="prior_treatment")
    assert any(PRIOR_IMG in e["criterion"] for e in prior.evidence)


# --- The public pages -------------------------------------------------------------------


def test_search_results_show_registry_markup_as_text(client: Client, hostile_trial: Trial) -> None:
    response = client.post(
        "/",
        {"stage": "IV", "prior_treatments": ["interleukin"], "include_conflicts": "on"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 trial found" in html
    # The verdict quotes the stage and prior-treatment criteria the facets were read from.
    assert_shown_as_text(html, [*TITLE_SHOWN, *CONDITIONS_SHOWN, STAGE_SCRIPT, PRIOR_IMG])


def test_trial_page_shows_registry_markup_as_text(client: Client, hostile_trial: Trial) -> None:
    response = client.get(f"/trials/{NCT_ID}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Criteria as listed" in html
    assert_shown_as_text(html, [*TITLE_SHOWN, *CONDITIONS_SHOWN, *CRITERIA_SHOWN])


def test_trial_page_with_answers_shows_registry_markup_as_text(
    client: Client, hostile_trial: Trial
) -> None:
    response = client.post(
        f"/trials/{NCT_ID}/", {"stage": "II", "prior_treatments": ["interleukin"]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "conflicts" in html  # the verdict, with its quotes
    assert_shown_as_text(html, [*TITLE_SHOWN, *CONDITIONS_SHOWN, *CRITERIA_SHOWN])


def test_trial_list_shows_registry_markup_as_text(client: Client, hostile_trial: Trial) -> None:
    response = client.get("/trials/")
    assert response.status_code == 200
    assert_shown_as_text(response.content.decode(), [*TITLE_SHOWN, *CONDITIONS_SHOWN])


# --- The admin ----------------------------------------------------------------------------


@pytest.fixture
def curator_client(client: Client) -> Client:
    client.force_login(make_user("curator"))
    return client


@pytest.fixture
def revised_trial() -> Trial:
    """A curator judged the stages on a plain version; the registry then published the
    hostile one: the trial waits in the queue, its change page shows the text's diff."""
    from trials.services.curation import facet_curate

    trial_ingest(raw=build_study(NCT_ID))
    trial = Trial.objects.get(registry_id=NCT_ID)
    facet_curate(
        trial=trial, kind="stages", value=["IV"], user=make_user("curator"), note="IV only"
    )
    trial_ingest(
        raw=hostile_study(**{"statusModule.lastUpdatePostDateStruct": {"date": "2025-09-15"}})
    )
    return Trial.objects.get(registry_id=NCT_ID)


def test_admin_change_page_shows_registry_markup_as_text(
    curator_client: Client, revised_trial: Trial
) -> None:
    response = curator_client.get(reverse("admin:trials_trial_change", args=[revised_trial.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The registry changed the criteria text after a curator judged" in html
    assert "<ins>" in html  # the diff's added lines are the hostile ones
    # The raw criteria field, the split criteria, the evidence quotes and choices, the
    # conditions inline and the diff all carry it.
    assert_shown_as_text(html, [*TITLE_SHOWN, *CONDITIONS_SHOWN, *CRITERIA_SHOWN])


def test_admin_review_queue_shows_registry_markup_as_text(
    curator_client: Client, revised_trial: Trial
) -> None:
    response = curator_client.get(reverse("admin:trials_trial_review_queue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert NCT_ID in html
    assert_shown_as_text(html, TITLE_SHOWN)


@pytest.mark.parametrize(
    "url",
    [
        lambda trial: reverse("admin:trials_trial_changelist") + f"?q={NCT_ID}",
        lambda trial: reverse("admin:trials_facet_changelist"),
    ],
    ids=["trial-changelist", "facet-changelist"],
)
def test_admin_lists_show_registry_markup_as_text(
    curator_client: Client, hostile_trial: Trial, url: Callable[[Trial], str]
) -> None:
    Facet.objects.filter(trial=hostile_trial, kind="stages").update(
        review=ReviewStatus.NEEDS_REVIEW
    )
    response = curator_client.get(url(hostile_trial))
    assert response.status_code == 200
    assert_shown_as_text(response.content.decode(), [TITLE_SCRIPT])
