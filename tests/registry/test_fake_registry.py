"""The fake registry itself behaves like the registry where the client relies on it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.fake_registry import FakeRegistry, Fault, fake_nct_id, load_studies, make_study
from trials.registry.client import RegistryClient, StudyQuery

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def get(server: FakeRegistry, path: str, **params: str) -> requests.Response:
    return requests.get(server.url + path, params=params, timeout=5)


def test_exactly_full_page_carries_a_token_then_an_empty_page_without_one(registry):
    first = get(registry, "/studies", pageSize="6").json()
    last = get(registry, "/studies", pageSize="6", pageToken=first["nextPageToken"]).json()

    assert len(first["studies"]) == 6 and first["nextPageToken"]
    assert last == {"studies": []}


def test_page_size_is_capped_at_1000_and_defaults_to_10():
    with FakeRegistry([make_study(fake_nct_id(i)) for i in range(1, 1202)]) as server:
        capped = get(server, "/studies", pageSize="5000").json()
        default = get(server, "/studies").json()

    assert len(capped["studies"]) == 1000
    assert len(default["studies"]) == 10


def test_next_page_with_changed_params_is_a_bad_request(registry):
    first = get(registry, "/studies", pageSize="2", **{"filter.ids": "NCT00000001,NCT00000002"})
    token = first.json()["nextPageToken"]

    changed = get(registry, "/studies", pageSize="2", pageToken=token)
    same = get(
        registry,
        "/studies",
        pageSize="3",
        pageToken=token,
        **{"filter.ids": "NCT00000001,NCT00000002"},
    )

    assert changed.status_code == 400
    assert "same as of the first page" in changed.json()["message"]
    assert same.status_code == 200  # pageSize may change between pages, as on the registry


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pageToken": "forged"}, "Invalid pageToken"),
        ({"query.recrs": "x"}, "`query.recrs` is unknown parameter"),
        ({"filter.advanced": "AREA[Phase]PHASE2"}, "cannot evaluate"),
        ({"pageSize": "ten"}, "pageSize"),
    ],
)
def test_requests_the_fake_cannot_answer_get_a_json_400(registry, params, message):
    response = get(registry, "/studies", **params)

    assert response.status_code == 400
    assert message in response.json()["message"]


def test_faults_apply_in_order_to_matching_requests_only(registry):
    registry.faults.extend([Fault.status(503, path="/studies"), Fault.status(418)])

    assert get(registry, "/version").status_code == 418  # the /studies fault waits its turn
    assert get(registry, "/studies").status_code == 503
    assert get(registry, "/studies").status_code == 200
    assert [r.path for r in registry.requests] == ["/version", "/studies", "/studies"]


def test_fault_by_request_number(registry):
    registry.faults.append(Fault.status(500, request_number=2))

    assert [get(registry, "/version").status_code for _ in range(3)] == [200, 500, 200]


def test_truncated_answer_promises_more_than_it_sends(registry):
    registry.faults.append(Fault.truncate())
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(registry, "/studies", pageSize="6")


def test_study_path_is_case_insensitive_and_unknown_ids_are_404(registry):
    assert (
        get(registry, "/studies/nct00000004").json()["protocolSection"]["identificationModule"][
            "nctId"
        ]
        == "NCT00000004"
    )
    assert get(registry, "/studies/NCT09999999").status_code == 404


def test_300_large_studies_come_back_in_one_page_quickly():
    criteria = "Inclusion Criteria:\n\n* adults with measurable disease\n" * 1000  # ~40 kB
    studies = []
    for i in range(1, 301):
        study = make_study(fake_nct_id(i))
        study["protocolSection"]["eligibilityModule"] = {"eligibilityCriteria": criteria}
        studies.append(study)
    with (
        FakeRegistry(studies) as server,
        RegistryClient(base_url=server.url, requests_per_minute=0) as client,
    ):
        started = time.monotonic()
        pages = list(client.iter_pages(query=StudyQuery(updated_since=dt.date(2000, 1, 1))))
        elapsed = time.monotonic() - started

    assert [len(p.studies) for p in pages] == [300]
    assert pages[0].total_count == 300 and pages[0].next_page_token is None
    assert elapsed < 5, f"a 12 MB page took {elapsed:.1f}s"


def test_load_studies_prefers_single_study_files_over_page_items(tmp_path):
    whole = make_study("NCT00000031", interventions=("Aldesleukin",))
    cut_down = {"protocolSection": {"identificationModule": {"nctId": "NCT00000031"}}}
    other = make_study("NCT00000032")
    (tmp_path / "a_page.json").write_text(json.dumps({"studies": [cut_down, other, other]}))
    (tmp_path / "z_single.json").write_text(json.dumps(whole))
    (tmp_path / "not_a_study.json").write_text(json.dumps({"apiVersion": "2.0.3"}))
    (tmp_path / "broken.json").write_text("{")

    studies = load_studies(tmp_path)

    assert sorted(studies, key=lambda s: s["protocolSection"]["identificationModule"]["nctId"]) == [
        whole,
        other,
    ]


@pytest.mark.shared_data
def test_real_studies_page_through_the_fake_registry(shared_data):
    folder = shared_data / "ctgov" / "studies"
    file_ids = sorted(p.stem for p in folder.glob("NCT*.json"))
    studies = load_studies(folder)
    half = len(studies) // 2
    with (
        FakeRegistry(studies) as server,
        RegistryClient(base_url=server.url, requests_per_minute=0, page_size=half) as client,
    ):
        pages = list(client.iter_pages(query=StudyQuery(updated_since=dt.date(1990, 1, 1))))

    served = sorted(
        s["protocolSection"]["identificationModule"]["nctId"] for p in pages for s in p.studies
    )
    assert served == file_ids
    assert [len(p.studies) for p in pages] == [half, half, 0]
    assert pages[0].total_count == len(file_ids)


@pytest.mark.shared_data
def test_command_line_server_serves_a_data_folder(shared_data):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fake_registry",
            "--data",
            str(shared_data / "ctgov" / "pages"),
            "--port",
            "0",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        url = banner.rsplit(" at ", 1)[1].strip()
        with RegistryClient(base_url=url, requests_per_minute=0, max_retries=0) as client:
            assert client.version().api_version == "2.0.3"
            study = client.get_study("NCT03281889")
        assert study["protocolSection"]["identificationModule"]["nctId"] == "NCT03281889"
    finally:
        process.terminate()
        process.wait(timeout=10)
