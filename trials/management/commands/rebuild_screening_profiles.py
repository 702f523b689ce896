"""python manage.py rebuild_screening_profiles [--id NCT...]: refold trials into profiles."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trials.models import Trial
from trials.services.profiles import screening_profiles_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the screening profiles (the screen's copy of each trial's facets, and of the "
        "trial columns and child values it filters by) from the stored rows. Run after a "
        "change to the screening vocabularies or bit layout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--id", dest="nct_ids", action="append", default=[], help="only this trial (repeat)"
        )

    def handle(self, *args: object, nct_ids: list[str], **options: object) -> None:
        trial_ids = None
        if nct_ids:
            found = dict(
                Trial.objects.filter(registry_id__in=nct_ids).values_list("registry_id", "pk")
            )
            missing = sorted(set(nct_ids) - set(found))
            if missing:
                raise CommandError(f"no such trial: {', '.join(missing)}")
            trial_ids = list(found.values())
        started = time.monotonic()
        done = screening_profiles_rebuild(trial_ids=trial_ids)
        self.stdout.write(
            f"Rebuilt {done} screening profile{'s' if done != 1 else ''} "
            f"in {time.monotonic() - started:.1f}s."
        )
