"""RegistryClient against the live fake registry: paging, resuming, filters, single studies."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fake_registry import FakeRegistry, Fault, fake_nct_id, make_study
from trials.registry.client import (
    DEFAULT_USER_AGENT,
    RegistryBadRequest,
    RegistryBadResponse,
    RegistryNotFound,
    RegistryUnavailable,
    StudyQuery,
)

ALL_SINCE_2000 = StudyQuery(updated_since=dt.date(2000, 1, 1))


def ids(studies: list[dict]) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]


def test_three_full_pages_then_the_empty_page_ends_iteration(registry, make_client):
    pages = list(make_client(page_size=2).iter_pages(query=ALL_SINCE_2000))

    assert [len(p.studies) for p in pages] == [2, 2, 2, 0]
    assert [p.page_number for p in pages] == [1, 2, 3, 4]
    assert all(p.next_page_token for p in pages[:3])
    assert pages[3].next_page_token is None
    assert [p.total_count for p in pages] == [6, None, None, None]
    assert [i for p in pages for i in ids(p.studies)] == [fake_nct_id(i) for i in range(1, 7)]


def test_a_short_last_page_ends_iteration_without_an_extra_request(registry, make_client):
    pages = list(make_client(page_size=4).iter_pages(query=ALL_SINCE_2000))

    assert [len(p.studies) for p in pages] == [4, 2]
    assert len(registry.requests_to("/studies")) == 2


def test_later_pages_repeat_the_first_requests_params_and_send_the_token(registry, make_client):
    query = StudyQuery(intr_terms=(), updated_since=dt.date(2020, 1, 1), fields=("NCTId",))
    pages = list(make_client(page_size=2).iter_pages(query=query))

    seen = [r.params for r in registry.requests_to("/studies")]
    assert len(seen) == 4
    first = seen[0]
    assert first["countTotal"] == "true" and "pageToken" not in first
    assert first["format"] == "json" and first["pageSize"] == "2" and first["fields"] == "NCTId"
    for later, previous_page in zip(seen[1:], pages, strict=False):
        assert later["pageToken"] == previous_page.next_page_token
        assert {k: v for k, v in later.items() if k != "pageToken"} == {
            k: v for k, v in first.items() if k != "countTotal"
        }
    assert pages[1].request_params == seen[1]


def test_resuming_from_a_stored_token_fetches_only_the_rest(registry, make_client):
    client = make_client(page_size=2)
    first_page = next(client.iter_pages(query=ALL_SINCE_2000))

    resumed = list(client.iter_pages(query=ALL_SINCE_2000, page_token=first_page.next_page_token))

    assert [i for p in resumed for i in ids(p.studies)] == [fake_nct_id(i) for i in range(3, 7)]
    resumed_first = registry.requests_to("/studies")[1].params
    assert resumed_first["pageToken"] == first_page.next_page_token
    assert "countTotal" not in resumed_first
    assert resumed[0].total_count is None and resumed[0].page_number == 1


def test_a_sync_cut_off_mid_way_resumes_from_the_last_token(registry, make_client):
    client = make_client(page_size=2)
    registry.kill_after_pages(2)
    done: list[str] = []
    token = None
    with pytest.raises(RegistryUnavailable):
        for page in client.iter_pages(query=ALL_SINCE_2000):
            done += ids(page.studies)
            token = page.next_page_token  # what the sync service stores after each page

    registry.kill_after_pages(None)
    for page in client.iter_pages(query=ALL_SINCE_2000, page_token=token):
        done += ids(page.studies)

    assert done == [fake_nct_id(i) for i in range(1, 7)]


def test_updated_since_is_sent_as_a_last_update_range_and_filters(make_client):
    studies = [
        make_study("NCT00000010", last_update="2024-04-30"),
        make_study("NCT00000011", last_update="2024-05-01"),
        make_study("NCT00000012", last_update="2024-06"),
        make_study("NCT00000013", last_update=None),
    ]
    with FakeRegistry(studies) as server:
        client = make_client(base_url=server.url)
        query = StudyQuery(updated_since=dt.date(2024, 5, 1))
        pages = list(client.iter_pages(query=query))

    sent = server.requests_to("/studies")[0].params["filter.advanced"]
    assert sent == "AREA[LastUpdatePostDate]RANGE[2024-05-01,MAX]"
    assert ids(pages[0].studies) == ["NCT00000011", "NCT00000012"]


def test_nct_ids_filter_is_sent_comma_joined_and_upper_case(registry, make_client):
    query = StudyQuery(nct_ids=("nct00000002", " NCT00000005 "))
    pages = list(make_client().iter_pages(query=query))

    assert registry.requests_to("/studies")[0].params["filter.ids"] == "NCT00000002,NCT00000005"
    assert ids(pages[0].studies) == ["NCT00000002", "NCT00000005"]


def test_intervention_terms_reach_the_registry_and_select_matching_studies(make_client):
    studies = [
        make_study("NCT00000021", interventions=("Aldesleukin",)),
        make_study("NCT00000022", interventions=("Nivolumab",), other_names=("IL-2 free",)),
        make_study("NCT00000023", interventions=("Interleukin-21",)),
        make_study("NCT00000024", interventions=("Placebo",)),
    ]
    with FakeRegistry(studies) as server:
        client = make_client(base_url=server.url)
        pages = list(client.iter_pages(query=StudyQuery(intr_terms=("aldesleukin", "IL-2"))))

    assert server.requests_to("/studies")[0].params["query.intr"] == 'aldesleukin OR "IL-2"'
    assert ids(pages[0].studies) == ["NCT00000021", "NCT00000022"]


def test_an_unrestricted_query_is_refused_before_any_request(registry, make_client):
    with pytest.raises(ValueError, match="whole registry"):
        next(make_client().iter_pages(query=StudyQuery()))
    assert registry.requests == []


def test_a_token_the_registry_does_not_know_is_a_bad_request(registry, make_client):
    with pytest.raises(RegistryBadRequest, match="Invalid pageToken"):
        next(make_client().iter_pages(query=ALL_SINCE_2000, page_token="not-a-token"))


def test_a_fault_on_page_two_retries_page_two_with_the_same_token(registry, make_client):
    registry.faults.append(Fault.truncate(request_number=2))
    pages = list(make_client(page_size=2).iter_pages(query=ALL_SINCE_2000))

    seen = [r.params.get("pageToken") for r in registry.requests_to("/studies")]
    assert seen[1] == seen[2] == pages[0].next_page_token
    assert sum(len(p.studies) for p in pages) == 6


def test_a_page_without_a_studies_list_is_a_bad_response(registry, make_client):
    registry.faults.append(Fault.status(200, body={"message": "no studies here"}))
    with pytest.raises(RegistryBadResponse, match="no studies list"):
        next(make_client().iter_pages(query=ALL_SINCE_2000))


def test_get_study_returns_the_record(registry, make_client):
    study = make_client().get_study("nct00000003")

    assert study["protocolSection"]["identificationModule"]["nctId"] == "NCT00000003"
    assert registry.requests[0].path == "/studies/NCT00000003"


def test_get_study_of_an_unknown_id_raises_not_found_at_once(registry, make_client):
    with pytest.raises(RegistryNotFound) as caught:
        make_client().get_study("NCT09999999")

    assert caught.value.status == 404
    assert "NCT09999999" in caught.value.url
    assert len(registry.requests) == 1


def test_get_study_rejects_a_malformed_id_without_a_request(registry, make_client):
    with pytest.raises(ValueError, match="not an NCT id"):
        make_client().get_study("NCT123")
    assert registry.requests == []


def test_version_reads_api_version_and_data_timestamp(registry, make_client):
    registry.data_timestamp = "2025-07-01T08:30:00"
    version = make_client().version()

    assert version.api_version == "2.0.3"
    assert version.data_timestamp == "2025-07-01T08:30:00"


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [(None, DEFAULT_USER_AGENT), ("screener-bench/0.1", "screener-bench/0.1")],
)
def test_user_agent_header_is_sent(registry, make_client, user_agent, expected):
    client = make_client() if user_agent is None else make_client(user_agent=user_agent)
    client.version()

    assert registry.requests[0].headers["User-Agent"] == expected
    assert "cytokine-trial-screener" in DEFAULT_USER_AGENT
