"""Read registry JSON saved on disk: single study objects or whole `GET /studies` pages.

Pure I/O over files, no ORM. Each file yields its studies one by one, or one
`SnapshotProblem` saying why the file (or one item in it) could not be read, so the caller
can report it by name and carry on with the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class SnapshotStudy:
    source: str  # "file.json" or "file.json#3" for the fourth study of a page
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SnapshotProblem:
    source: str
    reason: str


def snapshot_files(path: Path) -> list[Path]:
    """The JSON files a snapshot path names: the file itself, or every *.json below a folder."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*.json") if p.is_file())
    raise FileNotFoundError(f"{path} is neither a file nor a folder")


def read_snapshot_file(
    path: Path, *, label: str | None = None
) -> Iterator[SnapshotStudy | SnapshotProblem]:
    name = label or path.name
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError) as exc:
        yield SnapshotProblem(name, f"cannot read file: {exc}")
        return
    except json.JSONDecodeError as exc:
        yield SnapshotProblem(name, f"not valid JSON: {exc.msg} at line {exc.lineno}")
        return

    if isinstance(data, dict) and "studies" in data:
        studies = data["studies"]
        if not isinstance(studies, list):
            yield SnapshotProblem(name, '"studies" is not a list')
            return
        for index, study in enumerate(studies):
            source = f"{name}#{index}"
            if isinstance(study, dict):
                yield SnapshotStudy(source, study)
            else:
                yield SnapshotProblem(source, f"study is a {type(study).__name__}, not an object")
    elif isinstance(data, dict) and "protocolSection" in data:
        yield SnapshotStudy(name, data)
    elif isinstance(data, list):
        yield SnapshotProblem(name, 'a JSON list: expected a study object or a page with "studies"')
    else:
        yield SnapshotProblem(
            name, 'not a registry study (no "protocolSection") nor a page (no "studies")'
        )


def iter_snapshot(path: Path) -> Iterator[SnapshotStudy | SnapshotProblem]:
    base = path if path.is_dir() else path.parent
    for file in snapshot_files(path):
        yield from read_snapshot_file(file, label=str(file.relative_to(base)))
