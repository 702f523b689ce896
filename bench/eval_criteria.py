"""Measure the criteria rules against the hand-labelled development set.

Usage: python bench/eval_criteria.py [--data ../shared/data] [--devset tests/data/...json]

Prints precision/recall/F1 per facet, every would-be false exclusion (a value that
would rule out someone the label admits) with its NCT id, how many facets were sent to
review, and extraction speed over all ``ctgov/studies`` records on one core.
Review-flagged facets count as unknown: they predict nothing and never exclude.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trials.criteria import STAGES, extract_facets  # noqa: E402
from trials.criteria.model import ancestors  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_DEVSET = REPO / "tests" / "data" / "criteria_devset.json"
TARGETS = {"stages_f1": 0.95, "prior_treatment_f1": 0.90, "false_exclusions": 0}


@dataclass(slots=True)
class Counts:
    """True/false positives and false negatives of one facet."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: Iterable[object], expected: Iterable[object]) -> None:
        p, e = set(predicted), set(expected)
        self.tp += len(p & e)
        self.fp += len(p - e)
        self.fn += len(e - p)

    def scores(self) -> dict[str, float | int]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(slots=True)
class Tally:
    counts: dict[str, Counts] = field(default_factory=dict)
    false_exclusions: list[dict[str, str]] = field(default_factory=list)
    review: dict[str, int] = field(default_factory=dict)

    def c(self, name: str) -> Counts:
        return self.counts.setdefault(name, Counts())


def load_study(data_dir: Path, nct_id: str) -> dict[str, Any]:
    """The protocolSection of a stored study record."""
    path = data_dir / "ctgov" / "studies" / f"{nct_id}.json"
    section: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["protocolSection"]
    return section


def _inputs(section: dict[str, Any]) -> tuple[str, list[str]]:
    text = section.get("eligibilityModule", {}).get("eligibilityCriteria", "") or ""
    conditions = section.get("conditionsModule", {}).get("conditions", []) or []
    return text, conditions


def _excludes_wrongly(cls: str, allowed: set[str]) -> bool:
    """Excluding ``cls`` is wrong unless the label excludes it or a parent of it."""
    return cls not in allowed and not (set(ancestors(cls)) & allowed)


def _requires_wrongly(cls: str, required: set[str]) -> bool:
    """Requiring ``cls`` is wrong unless the label requires it or one of its kinds."""
    return cls not in required and not any(cls in ancestors(r) for r in required)


def _score(label: dict[str, Any], data_dir: Path, t: Tally) -> None:
    nct = label["nct_id"]
    text, conditions = _inputs(load_study(data_dir, nct))
    facets = extract_facets(criteria_text=text, conditions=conditions)

    def flag(facet: str, detail: str) -> None:
        t.false_exclusions.append({"nct_id": nct, "facet": facet, "detail": detail})

    # Stages: [] = no limit; a review flag means unknown, which predicts nothing.
    stages = [] if facets.stages.review else list(facets.stages.value)  # type: ignore[call-overload]
    if facets.stages.review:
        t.review["stages"] = t.review.get("stages", 0) + 1
    t.c("stages").add(stages, label["stages"])
    admitted = set(label["stages"]) or set(STAGES)
    if stages and admitted - set(stages):
        flag("stages", f"extracted {stages}, label admits {sorted(admitted - set(stages))}")

    resect = facets.resectability.value
    t.c("resectability").add(
        [resect] if resect else [], [label["resectability"]] if label["resectability"] else []
    )
    if resect and resect != label["resectability"]:
        flag("resectability", f"extracted {resect}, label {label['resectability']}")

    prior: dict[str, Any] = facets.prior_treatment.value  # type: ignore[assignment]
    if facets.prior_treatment.review:
        t.review["prior_treatment"] = t.review.get("prior_treatment", 0) + 1
        prior = {"required": [], "excluded": [], "min_prior_lines": None, "max_prior_lines": None}
    t.c("required").add(prior["required"], label["required"])
    t.c("excluded").add(prior["excluded"], label["excluded"])
    lines_p = {
        (k, prior[k]) for k in ("min_prior_lines", "max_prior_lines") if prior[k] is not None
    }
    lines_e = {
        (k, label[k]) for k in ("min_prior_lines", "max_prior_lines") if label[k] is not None
    }
    t.c("lines").add(lines_p, lines_e)
    for cls in prior["excluded"]:
        if _excludes_wrongly(cls, set(label["excluded"])):
            flag("excluded", f"excluded {cls}, label excludes {label['excluded']}")
    for cls in prior["required"]:
        if _requires_wrongly(cls, set(label["required"])):
            flag("required", f"required {cls}, label requires {label['required']}")
    mx, lmx = prior["max_prior_lines"], label["max_prior_lines"]
    if mx is not None and (lmx is None or mx < lmx):
        flag("max_prior_lines", f"extracted {mx}, label {lmx}")
    mn, lmn = prior["min_prior_lines"], label["min_prior_lines"]
    if mn is not None and (lmn is None or mn > lmn):
        flag("min_prior_lines", f"extracted {mn}, label {lmn}")


def evaluate(devset_path: Path | str, data_dir: Path | str) -> dict[str, Any]:
    """Score the extractor on the labelled dev set; see the module docstring."""
    labels = json.loads(Path(devset_path).read_text(encoding="utf-8"))
    t = Tally()
    for label in labels:
        _score(label, Path(data_dir), t)
    prior = Counts()
    for name in ("required", "excluded", "lines"):
        c = t.c(name)
        prior.tp, prior.fp, prior.fn = prior.tp + c.tp, prior.fp + c.fp, prior.fn + c.fn
    return {
        "records": len(labels),
        "facets": {name: c.scores() for name, c in t.counts.items()},
        "prior_treatment": prior.scores(),
        "false_exclusions": t.false_exclusions,
        "review_flagged": t.review,
    }


def measure_speed(data_dir: Path | str) -> dict[str, float]:
    """Records per second for split + extraction over every stored single study."""
    sections = [
        json.loads(p.read_text(encoding="utf-8"))["protocolSection"]
        for p in sorted((Path(data_dir) / "ctgov" / "studies").glob("NCT*.json"))
    ]
    inputs = [_inputs(s) for s in sections]
    extract_facets(criteria_text="warm-up", conditions=())  # compile the vocabulary once
    start = time.perf_counter()
    for text, conditions in inputs:
        extract_facets(criteria_text=text, conditions=conditions)
    elapsed = time.perf_counter() - start
    return {"records": len(inputs), "seconds": elapsed, "records_per_second": len(inputs) / elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    args = parser.parse_args(argv)
    if not (args.data / "ctgov" / "studies").is_dir():
        print(
            f"error: registry data not found at {args.data} (expected ctgov/studies/ there); "
            "pass --data or check out ../shared",
            file=sys.stderr,
        )
        return 2
    result = evaluate(args.devset, args.data)
    print(f"dev set: {result['records']} labelled listings ({args.devset})")
    print(f"{'facet':<16}{'precision':>10}{'recall':>8}{'F1':>7}{'tp':>5}{'fp':>4}{'fn':>4}")
    rows = {**result["facets"], "prior_treatment": result["prior_treatment"]}
    for name in ("stages", "resectability", "required", "excluded", "lines", "prior_treatment"):
        s = rows[name]
        print(
            f"{name:<16}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>7.3f}"
            f"{s['tp']:>5}{s['fp']:>4}{s['fn']:>4}"
        )
    print(f"review-flagged (treated as unknown): {result['review_flagged'] or 'none'}")
    fe = result["false_exclusions"]
    print(f"false exclusions: {len(fe)}")
    for row in fe:
        print(f"  {row['nct_id']}  {row['facet']}: {row['detail']}")
    speed = measure_speed(args.data)
    print(
        f"speed: {speed['records']} records in {speed['seconds']:.3f}s = "
        f"{speed['records_per_second']:.0f} records/s (one core)"
    )
    ok = (
        result["facets"]["stages"]["f1"] >= TARGETS["stages_f1"]
        and result["prior_treatment"]["f1"] >= TARGETS["prior_treatment_f1"]
        and len(fe) == TARGETS["false_exclusions"]
    )
    print(
        "targets (stage F1 >= 0.95, prior-treatment F1 >= 0.90, 0 false exclusions):",
        "met" if ok else "NOT met",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
