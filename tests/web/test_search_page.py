"""The search form and its results: POST only, plain words, verdicts with quotes."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tests.web.pages import banned_words, read_page
from trials.views import BLANK_FIELDS_CACHE_KEY

pytestmark = pytest.mark.django_db

ANSWER_FIELDS = [
    "condition",
    "stage",
    "resectable",
    "prior_treatments",
    "prior_lines",
    "age",
    "sex",
]


def search(client: Client, **data: Any) -> Any:
    return client.post("/", data)


def test_form_fields_carry_the_answers_names_and_every_control_has_a_label(
    client: Client,
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = read_page(response.content.decode())
    names = {c.get("name") for c in page.controls}
    assert set(ANSWER_FIELDS) <= names
    visible = [c for c in page.controls if c.get("type") not in {"hidden", "submit"}]
    assert visible and all(c["id"] in page.label_for for c in visible)
    assert '<form method="post"' in response.content.decode()
    assert "Stage is on your pathology or staging report" in response.content.decode()


def test_not_sure_is_offered_for_each_choice_and_none_differs_from_no_answer(
    client: Client,
) -> None:
    html = client.get("/").content.decode()
    for name in ("stage", "resectable", "sex"):
        assert f'name="{name}" value="unknown"' in html
    assert 'name="prior_treatments" value="none"' in html
    assert "Platinum chemotherapy (for example cisplatin" in html


def test_results_show_count_verdicts_quotes_and_the_notice(
    client: Client, melanoma_trial: Any, kidney_trial: Any, open_trial: Any
) -> None:
    response = search(
        client,
        stage="IV",
        prior_treatments=["checkpoint_inhibitor"],
        age="60",
        include_conflicts="on",
        ordering="nct_id",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 trials found" in html
    assert "No listed criterion conflicts with your answers" in html  # melanoma, N-803
    assert "A listed criterion conflicts" in html  # kidney: stage II-III only
    assert "Unresectable stage III or stage IV melanoma" in html  # the quote behind it
    assert "Inclusion criterion" in html
    assert "This is not medical advice." in html
    assert "Registry data as of" in html
    assert "https://clinicaltrials.gov/study/NCT10000001" in html
    assert "Aldesleukin" in html and "Interleukin-2" in html  # agent and family
    assert "Boston" in html


def test_a_listing_limited_to_stage_iv_needs_a_closer_look_without_a_stage(
    client: Client, melanoma_trial: Any
) -> None:
    html = search(client, age="50", prior_treatments=["none"]).content.decode()
    assert "Needs a closer look" in html
    assert "you did not give a stage" in html


@pytest.mark.parametrize(
    ("prior", "expected"),
    [
        (["none"], "you did not list it"),  # explicitly none: excluded IL-2 meets
        ([], "you did not say what you had"),  # not answered: unknown
        (["interleukin"], "you said you had it"),
    ],
)
def test_none_of_these_is_distinct_from_not_answering(
    client: Client, melanoma_trial: Any, prior: list[str], expected: str
) -> None:
    html = search(client, stage="IV", prior_treatments=prior, include_conflicts="on")
    assert expected in html.content.decode()


def test_conflicts_are_left_out_and_counted_by_default(
    client: Client, melanoma_trial: Any, kidney_trial: Any
) -> None:
    html = search(client, stage="IV").content.decode()
    assert "1 trial found" in html
    assert "1 more trial has a listed criterion that conflicts" in html
    assert "NCT10000002" not in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"stage": "V"}, "stage", "Select a valid choice"),
        ({"age": "-4"}, "age", "greater than or equal to 0"),
        ({"prior_lines": "two"}, "prior_lines", "Enter a whole number"),
        ({"prior_treatments": ["none", "surgery"]}, "prior_treatments", "cannot be combined"),
        ({"ordering": "distance"}, "ordering", "needs a place"),
        ({"near_lat": "42"}, "near_lat", "Give both a latitude (lat) and a longitude (lon)"),
    ],
)
def test_bad_answers_come_back_with_a_message_by_the_field(
    client: Client, data: dict[str, Any], field: str, message: str
) -> None:
    response = search(client, **data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="{field}-error"' in html
    assert message in html
    assert "Some answers could not be read" in html


def test_pages_move_by_post_with_the_answers_as_hidden_fields(
    client: Client, trial_factory: Any
) -> None:
    for i in range(3):
        trial_factory(f"NCT1000000{i}", title=f"Trial number {i}")
    first = search(client, stage="II", page_size="2", ordering="nct_id").content.decode()
    assert "Page 1 of 2" in first
    assert '<input type="hidden" name="stage" value="II">' in first
    assert '<input type="hidden" name="page" value="2">' in first
    second = search(client, stage="II", page_size="2", ordering="nct_id", page="2")
    assert "Trial number 2" in second.content.decode()
    assert "Trial number 0" not in second.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_search_responses_are_not_stored_and_refer_same_origin_only(
    client: Client, method: str
) -> None:
    response = getattr(client, method)("/", {"stage": "IV"} if method == "post" else None)
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_registry_text_is_escaped(client: Client, trial_factory: Any) -> None:
    trial_factory(
        "NCT10000009",
        title='<script>alert("x")</script> & <b>bold</b>',
        conditions=("<img src=x onerror=alert(1)>",),
    )
    html = search(client).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in html


def test_our_wording_avoids_the_words_the_contract_rules_out(
    client: Client, melanoma_trial: Any, kidney_trial: Any, open_trial: Any
) -> None:
    pages = [
        client.get("/"),
        search(client, stage="IV", age="60", include_conflicts="on"),
        search(client, stage="V"),  # errors
        search(client),
        client.get("/trials/NCT10000001/"),
        client.post("/trials/NCT10000001/", {"stage": "II", "age": "70"}),
        client.get("/trials/"),
    ]
    for response in pages:
        html = response.content.decode()
        assert banned_words(html) == [], response.request["PATH_INFO"]
        # The fixtures' registry text has none either, so the whole page can be checked.
        assert banned_words(html.replace("registry-text", "")) == []


def test_headings_descend_one_level_at_a_time(
    client: Client, melanoma_trial: Any, kidney_trial: Any
) -> None:
    for response in (
        client.get("/"),
        search(client, stage="IV", include_conflicts="on"),
        client.get("/trials/NCT10000001/"),
    ):
        levels = [level for level, _ in read_page(response.content.decode()).headings]
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


def test_results_page_costs_a_fixed_number_of_queries(
    client: Client, trial_factory: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(25):
        trial_factory(f"NCT100000{i:02d}", stages=["IV"])
    client.get("/")  # warm the country list cache
    with django_assert_max_num_queries(10):
        response = search(client, stage="IV", age="50")
    assert response.content.decode().count('class="result result-') == 20


def test_the_blank_form_is_drawn_once_and_never_carries_answers(client: Client) -> None:
    cache.delete(BLANK_FIELDS_CACHE_KEY)
    first = client.get("/")
    assert cache.get(BLANK_FIELDS_CACHE_KEY) is not None
    answered = client.post("/", {"condition": "ocular melanoma", "age": "67"})
    again = client.get("/")
    # The POSTed form shows the answers; the blank one, drawn before, never does.
    assert 'value="ocular melanoma"' in answered.content.decode()
    assert "ocular melanoma" not in again.content.decode()
    assert 'value="67"' not in again.content.decode()
    assert _fields(first) == _fields(again)
    # Each page still gets a CSRF field of its own in the form tag around the fields.
    assert 'name="csrfmiddlewaretoken"' in again.content.decode()
    assert "csrfmiddlewaretoken" not in cache.get(BLANK_FIELDS_CACHE_KEY)


def _fields(response: Any) -> str:
    html = response.content.decode()
    return html[html.index('<fieldset class="group">') : html.index("Show trials")]
