"""python manage.py sync_registry [--full] [--since YYYY-MM-DD] [--id NCT...] [--force]"""

from __future__ import annotations

import datetime as dt
import sys
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trials.models import SyncOutcome
from trials.registry.records import NCT_ID_RE
from trials.services.sync import (
    SyncAlreadyRunning,
    SyncInterrupted,
    SyncProgress,
    sync_registry,
    sync_summary,
)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since {value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Sync cytokine trials from the registry at CTGOV_API_BASE (the same service beat runs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="fetch everything in scope")
        parser.add_argument("--since", type=str, help="fetch records updated since this date")
        parser.add_argument("--id", dest="ids", nargs="+", default=[], help="sync these NCT ids")
        parser.add_argument(
            "--force", action="store_true", help="run even if the registry data has not moved"
        )

    def handle(self, *args: object, **options: object) -> None:
        since = _date(options["since"]) if options["since"] else None
        ids = [str(i).upper() for i in options["ids"]]
        bad = [i for i in ids if not NCT_ID_RE.match(i)]
        if bad:
            raise CommandError(f"not NCT ids: {', '.join(bad)}")
        started = time.monotonic()
        tty = sys.stdout.isatty()

        def progress(p: SyncProgress) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            line = (
                f"page {p.pages_done}: {p.run.seen} studies "
                f"({p.run.created} new, {p.run.updated} updated, {p.run.failed} failed) "
                f"{p.run.seen / elapsed:.0f} studies/s"
            )
            if tty:
                self.stdout.write(f"\r{line}", ending="")
                self.stdout.flush()
            else:
                self.stdout.write(line)

        try:
            run = sync_registry(
                full=bool(options["full"]),
                since=since,
                nct_ids=ids,
                force=bool(options["force"]),
                progress=progress,
            )
        except SyncAlreadyRunning as exc:
            self.stdout.write(f"Not started: {exc}.")
            return
        except SyncInterrupted as exc:
            if tty:
                self.stdout.write("")
            raise CommandError(
                f"{sync_summary(exc.run)}. The next run resumes from its checkpoint."
            ) from exc
        if tty:
            self.stdout.write("")
        for failure in run.failures:
            self.stderr.write(f"skipped {failure['id']}: {failure['reason']}")
        summary = f"{sync_summary(run)} in {time.monotonic() - started:.1f}s"
        if run.outcome == SyncOutcome.FAILED:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
