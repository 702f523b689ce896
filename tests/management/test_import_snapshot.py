"""python manage.py import_snapshot: files, pages, malformed input, exit status."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import StudyFactory
from trials.models import SyncOutcome, SyncRun, Trial

pytestmark = pytest.mark.django_db


def _run(path: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_snapshot", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_single_studies_and_pages_from_a_folder(
    snapshot_dir: Path, make_study: StudyFactory
) -> None:
    (snapshot_dir / "one.json").write_text(json.dumps(make_study("NCT90000001")))
    page = {"studies": [make_study("NCT90000002"), make_study("NCT90000003")], "nextPageToken": "x"}
    (snapshot_dir / "sub").mkdir()
    (snapshot_dir / "sub" / "page.json").write_text(json.dumps(page))
    out, _ = _run(snapshot_dir)
    assert "3 seen, 3 created, 0 updated, 0 unchanged, 0 failed" in out
    assert Trial.objects.count() == 3
    run = SyncRun.objects.get()
    assert run.outcome == SyncOutcome.SUCCEEDED and run.created == 3


def test_second_import_counts_everything_unchanged(
    snapshot_dir: Path, make_study: StudyFactory
) -> None:
    (snapshot_dir / "one.json").write_text(json.dumps(make_study("NCT90000001")))
    _run(snapshot_dir)
    out, _ = _run(snapshot_dir)
    assert "1 seen, 0 created, 0 updated, 1 unchanged, 0 failed" in out


def test_malformed_files_are_reported_by_name_and_skipped_and_exit_is_non_zero(
    snapshot_dir: Path, make_study: StudyFactory
) -> None:
    (snapshot_dir / "good.json").write_text(json.dumps(make_study("NCT90000001")))
    (snapshot_dir / "broken.json").write_text('{"protocolSection": {')
    (snapshot_dir / "list.json").write_text("[1, 2]")
    (snapshot_dir / "other.json").write_text('{"hello": "world"}')
    page = {
        "studies": [make_study("NCT90000002"), {"protocolSection": {"identificationModule": {}}}]
    }
    (snapshot_dir / "page.json").write_text(json.dumps(page))
    err = StringIO()
    with pytest.raises(CommandError, match="4 failed"):
        call_command("import_snapshot", str(snapshot_dir), stdout=StringIO(), stderr=err)
    messages = err.getvalue()
    assert "broken.json: not valid JSON" in messages
    assert "list.json: a JSON list" in messages
    assert "other.json: not a registry study" in messages
    assert "page.json#1" in messages and "nctId" in messages
    # The good records still loaded.
    assert set(Trial.objects.values_list("registry_id", flat=True)) == {
        "NCT90000001",
        "NCT90000002",
    }
    run = SyncRun.objects.get()
    assert run.outcome == SyncOutcome.FAILED and run.failed == 4 and len(run.failures) == 4


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_snapshot", str(tmp_path / "nowhere"))
