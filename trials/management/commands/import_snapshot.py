"""python manage.py import_snapshot PATH: load saved registry JSON through the ingest path."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trials.services.ingest import IngestCounts
from trials.services.snapshot import snapshot_import


class Command(BaseCommand):
    help = (
        "Load a file or folder of ClinicalTrials.gov API v2 JSON (single studies or whole "
        "/studies pages). Unreadable files and records are reported and skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: object, path: Path, **options: object) -> None:
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        started = time.monotonic()
        last_line = 0.0

        def progress(counts: IngestCounts, source: str) -> None:
            nonlocal last_line
            now = time.monotonic()
            if now - last_line >= 1.0:  # one progress line a second is plenty
                last_line = now
                self.stdout.write(f"  {counts.seen} records read ({source})")

        run = snapshot_import(path=path, progress=progress)
        elapsed = time.monotonic() - started
        for failure in run.failures:
            self.stderr.write(f"skipped {failure['id']}: {failure['reason']}")
        summary = (
            f"{run.seen} seen, {run.created} created, {run.updated} updated, "
            f"{run.unchanged} unchanged, {run.failed} failed in {elapsed:.1f}s"
        )
        if run.failed:
            raise CommandError(f"import finished with failures: {summary}")
        self.stdout.write(self.style.SUCCESS(f"import done: {summary}"))
