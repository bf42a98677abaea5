"""Run the data lifecycle by hand: the same work the daily Celery beat task does."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.services.lifecycle import lifecycle_run


class Command(BaseCommand):
    help = (
        "Send end-date reminders and perform due end actions (anonymise or delete). Prints study ids and counts only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen; change nothing.")

    def handle(self, *args, today=None, dry_run=False, **options):
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError("--today must be a date like 2017-05-01.") from None
        else:
            day = timezone.localdate()
        result = lifecycle_run(today=day, dry_run=dry_run)
        prefix = "[dry run] would " if dry_run else ""
        for study_id in result.reminded:
            self.stdout.write(f"{prefix}remind the owner of study {study_id}")
        for verb, done in (("anonymise", result.anonymised), ("delete the research data of", result.deleted)):
            for study_id, counts in done.items():
                figures = ", ".join(f"{name}={n}" for name, n in counts.items())
                self.stdout.write(f"{prefix}{verb} study {study_id}: {figures}")
        for study_id in result.failed:
            self.stderr.write(f"study {study_id} failed; see the log")
        if not result.changed_anything and not result.failed:
            self.stdout.write(f"{day.isoformat()}: nothing is due.")
        if result.failed:
            raise CommandError(f"{len(result.failed)} studies failed.")
