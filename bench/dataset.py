"""Benchmark data: the real registry records in ../shared and scaled synthetic sets.

The real records are read from the shared folder (never copied into the project). Scaled
sets are made on the fly: record i is a shallow copy of a real record with a new NCT id
(NCT7xxxxxxx), another record's eligibility text and conditions, a stage sentence from a
rotating list, often a cytokine intervention in front, and the keyword
"synthetic-benchmark" so nobody mistakes them for registry data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tests.fake_registry import load_studies

SYNTHETIC_KEYWORD = "synthetic-benchmark"

# One in five synthetic trials gets no cytokine intervention, so the cytokine filter has
# something to leave out; the rest rotate through every family of the contract.
_CYTOKINES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Aldesleukin", ("Proleukin", "IL-2")),
    ("N-803", ("nogapendekin alfa inbakicept", "Anktiva")),
    ("Interferon alfa-2b", ("Intron A",)),
    ("NHS-IL12", ("M9241",)),
    ("CYT107", ("interleukin-7",)),
    ("Pegilodecakin", ("AM0010",)),
    ("Peginterferon alfa-2b", ("Sylatron",)),
    ("Interleukin-21", ("IL-21",)),
    ("Interferon gamma-1b", ("Actimmune",)),
)
# Stage wording put in front of the rotated eligibility text, so stage limits spread.
_STAGE_SENTENCES: tuple[str, ...] = (
    "Histologically confirmed stage III or IV disease",
    "Unresectable stage IIIB-IV disease",
    "Metastatic disease",
    "",
    "Stage II-III resectable disease",
    "Locally advanced or metastatic disease",
    "Stage IV disease",
    "",
)
_STATUSES = ("RECRUITING", "RECRUITING", "NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING")


def load_real(data_dir: Path) -> list[dict[str, Any]]:
    """Every study record under ../shared/data/ctgov, one per nctId, in a stable order."""
    studies = load_studies(data_dir / "ctgov")
    return sorted(studies, key=lambda s: s["protocolSection"]["identificationModule"]["nctId"])


def _module(protocol: dict[str, Any], name: str) -> dict[str, Any]:
    value = protocol.get(name)
    return value if isinstance(value, dict) else {}


def synthetic_study(
    real: Sequence[dict[str, Any]], i: int, *, small: bool = False
) -> dict[str, Any]:
    """Synthetic record number i, built from the real records (shallow copies).

    `small` keeps only protocolSection and at most five locations: the record variant
    used for the 100,000-trial memory run, where full records would be ~4 GB of JSON.
    """
    n = len(real)
    base = real[i % n]
    protocol = dict(base["protocolSection"])
    text_source = real[(i * 37 + 11) % n]["protocolSection"]
    cond_source = real[(i * 53 + 5) % n]["protocolSection"]

    ident = _module(protocol, "identificationModule")
    nct_id = f"NCT7{i:07d}"
    protocol["identificationModule"] = {
        **ident,
        "nctId": nct_id,
        "briefTitle": f"{ident.get('briefTitle') or 'Study'} [synthetic {i}]",
    }
    status = _module(protocol, "statusModule")
    protocol["statusModule"] = {
        **status,
        "overallStatus": _STATUSES[i % len(_STATUSES)],
        "lastUpdatePostDateStruct": {"date": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"},
    }
    eligibility = _module(text_source, "eligibilityModule")
    stage = _STAGE_SENTENCES[i % len(_STAGE_SENTENCES)]
    text = eligibility.get("eligibilityCriteria") or ""
    if stage:
        text = f"Inclusion Criteria:\n\n* {stage}\n\n{text}"
    protocol["eligibilityModule"] = {**_module(protocol, "eligibilityModule"), **eligibility}
    protocol["eligibilityModule"]["eligibilityCriteria"] = text
    conditions = _module(cond_source, "conditionsModule")
    protocol["conditionsModule"] = {
        "conditions": list(conditions.get("conditions") or []),
        "keywords": [*(conditions.get("keywords") or []), SYNTHETIC_KEYWORD],
    }
    arms = _module(protocol, "armsInterventionsModule")
    interventions = list(arms.get("interventions") or [])
    if i % 5:
        name, other = _CYTOKINES[i % len(_CYTOKINES)]
        cytokine = {"type": "BIOLOGICAL", "name": name, "otherNames": list(other)}
        interventions = [cytokine, *interventions]
    protocol["armsInterventionsModule"] = {**arms, "interventions": interventions}
    if small:
        contacts = _module(protocol, "contactsLocationsModule")
        protocol["contactsLocationsModule"] = {
            **contacts,
            "locations": list(contacts.get("locations") or [])[:5],
        }
        return {"protocolSection": protocol, "hasResults": False}
    return {**base, "protocolSection": protocol}


def synthetic_studies(
    real: Sequence[dict[str, Any]], count: int, *, small: bool = False
) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield synthetic_study(real, i, small=small)


def dataset(
    real: Sequence[dict[str, Any]], size: int | None, *, small: bool = False
) -> Iterator[dict[str, Any]]:
    """The real records (size None) or `size` synthetic ones."""
    if size is None:
        yield from real
    else:
        yield from synthetic_studies(real, size, small=small)


def body(study: dict[str, Any]) -> bytes:
    return json.dumps(study, ensure_ascii=False).encode()
