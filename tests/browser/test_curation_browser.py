"""A curator, in a real browser: log in, open the review queue, correct a stage facet, and the
public search at / follows the correction. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ARTIFACTS, build_study
from tests.curation.fixtures import CHANGED_CRITERIA, PASSWORD, make_user
from trials.models import Facet, Provenance, ReviewStatus, Trial
from trials.services.curation import facet_curate
from trials.services.ingest import trial_ingest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SCREENSHOTS = ARTIFACTS / "screenshots"


def search_stage_iv(page: Page, live_server: Any) -> None:
    """The public search, as a person with stage IV disease, conflicts shown."""
    page.goto(f"{live_server.url}/")
    page.get_by_label("Stage IV", exact=True).check()
    page.get_by_label("Also show trials where a listed criterion conflicts").check()
    page.get_by_role("button", name="Show trials").click()
    expect(page.locator("section.results")).to_be_visible()


@pytest.fixture
def http_only_cookies(settings: Any) -> None:
    # The live server speaks plain HTTP; secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def test_curator_corrects_a_stage_from_the_review_queue(
    page: Page, live_server: Any, http_only_cookies: None
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # A trial whose stage extraction was flagged as low-confidence...
    trial_ingest(raw=build_study("NCT90000001"))
    melanoma = Trial.objects.get(registry_id="NCT90000001")
    Facet.objects.filter(trial=melanoma, kind="stages").update(review=ReviewStatus.NEEDS_REVIEW)
    # ...and one whose registry text changed after a curator confirmed its stage.
    trial_ingest(raw=build_study("NCT90000002"))
    changed = Trial.objects.get(registry_id="NCT90000002")
    curator = make_user("curator")
    facet_curate(trial=changed, kind="stages", value=["III"], user=curator, note="III only")
    trial_ingest(
        raw=build_study(
            "NCT90000002",
            **{
                "eligibilityModule.eligibilityCriteria": CHANGED_CRITERIA,
                "statusModule.lastUpdatePostDateStruct": {"date": "2025-09-15"},
            },
        )
    )
    # Extraction read stages III and IV: a person with stage IV disease sees no conflict.
    search_stage_iv(page, live_server)
    before = page.locator("li.result", has_text="NCT90000001")
    expect(before).to_be_visible()
    expect(before).not_to_contain_text("A listed criterion conflicts")

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "curator-user")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.get_by_role("link", name="Review queue").first.click()

    expect(page.locator("#queue-counts")).to_contain_text("2 trials wait for review")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("NCT90000002")  # newest registry change first
    expect(rows.nth(0)).to_contain_text("1 facet: 1 text changed")
    expect(rows.nth(1)).to_contain_text("1 facet: 1 low-confidence")
    page.screenshot(path=str(SCREENSHOTS / "curation-review-queue.png"), full_page=True)

    page.get_by_role("link", name="NCT90000002").click()
    expect(page.locator(".curation-diff")).to_contain_text("Stage")
    expect(page.locator(".curation-diff del").first).to_contain_text(
        "Unresectable stage III or stage IV melanoma"
    )
    page.locator(".curation").screenshot(path=str(SCREENSHOTS / "curation-change-page-diff.png"))

    page.go_back()
    page.get_by_role("link", name="NCT90000001").click()
    stages = page.locator("#facet-stages")
    expect(stages).to_contain_text("Needs review")
    expect(stages).to_contain_text("III, IV")
    expect(page.locator(".curation-criteria")).to_contain_text(
        "Unresectable stage III or stage IV melanoma"
    )
    page.locator(".curation").screenshot(path=str(SCREENSHOTS / "curation-change-page.png"))

    stages.get_by_label("Stage IV", exact=True).uncheck()
    stages.get_by_text("Evidence (criteria this value rests on)").click()
    stages.get_by_label("Condition: Stage IV Cutaneous Melanoma AJCC v8").uncheck()
    stages.locator("textarea").fill("Only the stage III cohort is still open.")
    stages.get_by_role("button", name="Save correction").click()

    expect(page.locator(".messagelist")).to_contain_text("Stage saved.")
    stages = page.locator("#facet-stages")
    expect(stages.locator(".facet-value")).to_contain_text("III")
    expect(stages.locator(".facet-value")).not_to_contain_text("IV")
    expect(stages).to_contain_text("Curated by curator-user")
    expect(stages).to_contain_text("Extraction reads: III, IV")
    page.locator("#facet-stages").screenshot(
        path=str(SCREENSHOTS / "curation-change-page-corrected.png")
    )

    facet = Facet.objects.get(trial=melanoma, kind="stages")
    assert (facet.value, facet.provenance, facet.review) == (
        ["III"],
        Provenance.CURATED,
        ReviewStatus.CONFIRMED,
    )
    assert facet.evidence == [
        {"criterion": "Unresectable stage III or stage IV melanoma", "section": "inclusion"}
    ]
    assert facet.history.get().history_user == curator

    # The public search follows: for stage IV the trial now conflicts, quoting the curation.
    search_stage_iv(page, live_server)
    after = page.locator("li.result", has_text="NCT90000001")
    expect(after).to_contain_text("A listed criterion conflicts")
    expect(after).to_contain_text("you gave stage IV")
    # The curator dropped the condition name from the evidence: no longer quoted.
    expect(after.locator("blockquote", has_text="Stage IV Cutaneous Melanoma")).to_have_count(0)
    expect(after.locator("blockquote", has_text="Unresectable stage III or")).to_have_count(1)
    after.screenshot(path=str(SCREENSHOTS / "curation-public-search-after.png"))


def test_admin_login_works_with_the_configured_referrer_policy(
    page: Page, live_server: Any, http_only_cookies: None
) -> None:
    make_user("curator")
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "curator-user")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.get_by_role("link", name="Review queue").first).to_be_visible(timeout=5000)
