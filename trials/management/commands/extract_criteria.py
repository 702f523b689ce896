"""python manage.py extract_criteria [--all | NCT...]: re-read stored criteria text.

Run after the extraction rules change. Curated facets keep their values.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trials.criteria import RULES_VERSION
from trials.selectors import trial_pks
from trials.services.curation import trial_facets_reextract

# Trials re-read per progress line; small enough to show movement on a large database.
BATCH = 200


class Command(BaseCommand):
    help = "Extract facets again from the stored criteria of some or all trials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("nct_ids", nargs="*", help="trials to re-read")
        parser.add_argument("--all", action="store_true", help="re-read every trial")

    def handle(self, *args: object, nct_ids: list[str], **options: object) -> None:
        if bool(nct_ids) == bool(options["all"]):
            raise CommandError("give either --all or one or more NCT ids")
        wanted = [i.upper() for i in nct_ids] or None
        pks = trial_pks(nct_ids=wanted)
        if wanted and len(pks) != len(set(wanted)):
            raise CommandError(f"{len(set(wanted)) - len(pks)} of the NCT ids given are not stored")
        started = time.monotonic()
        done = 0
        for start in range(0, len(pks), BATCH):
            done += trial_facets_reextract(trial_ids=pks[start : start + BATCH])
            self.stdout.write(f"  {done}/{len(pks)} trials re-read")
        elapsed = time.monotonic() - started
        rate = done / elapsed if elapsed else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"extraction (rules {RULES_VERSION}) done: {done} trials in {elapsed:.1f}s "
                f"({rate:.0f}/s)"
            )
        )
