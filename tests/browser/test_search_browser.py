"""A person in a real browser: fill the form, see verdicts and the quoted criteria, open a
trial's page. Screenshots at desktop and phone width go to test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.conftest import ARTIFACTS, create_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def http_only_cookies(settings: Any) -> None:
    # The live server speaks plain HTTP; secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def listings(transactional_db: None) -> None:
    create_trial(
        "NCT10000001",
        title="Aldesleukin with pembrolizumab in advanced melanoma",
        stages=["III", "IV"],
        prior={"excluded": ["interleukin"]},
        washout=[
            {
                "class": "chemotherapy",
                "section": "exclusion",
                "text": "Chemotherapy within 4 weeks before enrolment",
            }
        ],
        evidence={
            "stages": [
                {"criterion": "Unresectable stage III or stage IV melanoma", "section": "inclusion"}
            ],
            "prior_treatment": [
                {"criterion": "Prior treatment with interleukin-2", "section": "exclusion"}
            ],
            "washout": [
                {
                    "criterion": "Chemotherapy within 4 weeks before enrolment",
                    "section": "exclusion",
                }
            ],
        },
        criteria=(
            ("inclusion", "Unresectable stage III or stage IV melanoma"),
            ("inclusion", "Measurable disease per RECIST 1.1"),
            ("exclusion", "Prior treatment with interleukin-2"),
            ("exclusion", "Chemotherapy within 4 weeks before enrolment"),
        ),
        conditions=("Melanoma", "Stage IV Cutaneous Melanoma AJCC v8"),
        locations=(
            {
                "facility": "Example Cancer Center",
                "city": "Boston",
                "state": "Massachusetts",
                "country": "United States",
                "status": "RECRUITING",
                "contacts": [{"name": "Study Nurse", "phone": "555-0100"}],
            },
            {"facility": "Hôpital Exemple", "city": "Paris", "country": "France"},
        ),
    )
    create_trial(
        "NCT10000002",
        title="Interferon alfa after nephrectomy for kidney cancer",
        families=("IFN_ALPHA",),
        conditions=("Renal Cell Carcinoma",),
        stages=["II", "III"],
        resectability="resectable",
        last_update="2025-06-01",
    )
    create_trial("NCT10000003", title="N-803 in solid tumours", families=("IL15",), min_age="")


def csp_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", collect)
    return errors


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_person_fills_the_form_sees_verdicts_and_opens_a_trial(
    page: Page, live_server: Any, http_only_cookies: None, listings: None, viewport: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(VIEWPORTS[viewport])
    errors = csp_errors(page)

    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Find interleukin and interferon trials"
    )
    page.screenshot(path=str(SCREENSHOTS / f"search-form-{viewport}.png"), full_page=True)

    page.get_by_label("Stage IV", exact=True).check()
    page.get_by_label("Immune checkpoint inhibitor", exact=False).check()
    page.get_by_label("Age in years").fill("60")
    page.get_by_label("Also show trials where a listed criterion conflicts").check()
    page.get_by_role("button", name="Show trials").click()

    results = page.locator("section.results")
    expect(results.get_by_role("heading", level=2)).to_have_text("3 trials found")
    melanoma = results.locator("li.result", has_text="NCT10000001")
    expect(melanoma).to_contain_text("No listed criterion conflicts with your answers")
    expect(melanoma.locator("blockquote")).to_contain_text(
        [
            "Unresectable stage III or stage IV melanoma",
            "Prior treatment with interleukin-2",
            "Minimum age: 18 Years",
        ]
    )
    kidney = results.locator("li.result", has_text="NCT10000002")
    expect(kidney).to_contain_text("A listed criterion conflicts")
    expect(kidney).to_contain_text("you gave stage IV")
    expect(results).to_contain_text("This is not medical advice.")
    page.screenshot(path=str(SCREENSHOTS / f"search-results-{viewport}.png"), full_page=True)

    melanoma.get_by_role("button", name="Open this trial with your answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Aldesleukin with pembrolizumab in advanced melanoma"
    )
    expect(page.locator(".verdict")).to_contain_text(
        "No listed criterion conflicts with your answers"
    )
    expect(page.locator("mark").first).to_have_text("Unresectable stage III or stage IV melanoma")
    expect(page.locator(".washout")).to_contain_text("Chemotherapy within 4 weeks")
    expect(page.locator(".locations")).to_contain_text("Study Nurse")
    page.screenshot(path=str(SCREENSHOTS / f"trial-page-{viewport}.png"), full_page=True)

    page.get_by_role("button", name="Back to the results").click()
    expect(page.locator("section.results h2")).to_have_text("3 trials found")
    assert errors == []  # no CSP refusals, no script errors


def test_the_form_works_from_the_keyboard(
    page: Page, live_server: Any, http_only_cookies: None, listings: None
) -> None:
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.get_by_label("Age in years").focus()
    page.keyboard.type("45")
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator("section.results h2")).to_have_text("3 trials found")
    # Tab order reaches the first result's link after the form.
    first_link = page.locator("li.result h3 a").first
    first_link.focus()
    expect(first_link).to_be_focused()


def test_bad_answer_is_shown_next_to_its_field(
    page: Page, live_server: Any, http_only_cookies: None, listings: None
) -> None:
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"{live_server.url}/")
    page.get_by_label("Order results by").select_option("distance")
    page.get_by_role("button", name="Show trials").click()
    expect(page.get_by_role("alert")).to_contain_text("Some answers could not be read")
    expect(page.locator("#ordering-error")).to_contain_text("needs a place")
    page.screenshot(path=str(SCREENSHOTS / "search-error-phone.png"), full_page=True)


def test_api_docs_page_renders_from_local_assets(
    page: Page, live_server: Any, http_only_cookies: None
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors = csp_errors(page)
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .title").first).to_contain_text("Cytokine trial screener API")
    page.screenshot(path=str(SCREENSHOTS / "api-docs-desktop.png"))
    assert [e for e in errors if "Content Security Policy" in e] == []
