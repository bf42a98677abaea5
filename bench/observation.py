"""Benchmark of the observation pages on PostgreSQL: counts across meetings, one meeting's checklist, side by side.

Usage (from the repository root)::

    .venv/bin/python bench/observation.py [--database-url postgres://postgres@127.0.0.1:5432/thesis_bench_observation]
                                          [--requests 20]

The script drops and re-creates the dedicated database ``thesis_bench_observation``,
migrates it and builds one study: an observation guide of 8 themes × 5 points,
150 held weekly meetings (three years) each ticked on every point (6,000 ticks),
4 other attendees per meeting, and for one meeting two observers' field notes of
60 paragraphs with 30 recorded disagreements. Each page is measured through
Django's test ``Client`` like ``bench/retrieval.py`` (median and p95 server time,
SQL query count).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval import measure  # noqa: E402

from bench.common import recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/thesis_bench_observation"
THEMES = 8
POINTS_PER_THEME = 5
MEETINGS = 150
DISAGREEMENTS = 30


def build():
    """Rows are bulk-created with a fixed seed (the services that normally write them are covered by the tests)."""
    from cases.models import GuideQuestion, GuideTheme, Instrument, InstrumentVersion, Membership, Study, User
    from interviews.models import ChecklistTick, FieldNoteDisagreement, OtherAttendee, Session, Source

    rng = random.Random(20110606)
    user = User.objects.create_user(email="bench@example.org", password="bench-pass-123", full_name="Bench Researcher")
    colleague = User.objects.create_user(email="co@example.org", password="bench-pass-123", full_name="Bench Colleague")
    study = Study.objects.create(title="Benchmark study", created_by=user)
    Membership.objects.create(study=study, user=user, role=Membership.Role.OWNER)
    Membership.objects.create(study=study, user=colleague, role=Membership.Role.CO_RESEARCHER)
    instrument = Instrument.objects.create(study=study, kind=Instrument.Kind.OBSERVATION_GUIDE, title="Guide")
    version = InstrumentVersion.objects.create(instrument=instrument, label="v1")
    points = []
    for t in range(THEMES):
        theme = GuideTheme.objects.create(version=version, position=t, title=f"Tema {t + 1} – æøå")
        points += GuideQuestion.objects.bulk_create(
            GuideQuestion(theme=theme, position=p, text=f"Punkt {t + 1}.{p + 1}: blir avvik etterspurt?")
            for p in range(POINTS_PER_THEME)
        )
    start = dt.date(2011, 6, 6)
    meetings = Session.objects.bulk_create(
        Session(
            study=study,
            code=f"OBS{n + 1:03d}",
            kind=Session.Kind.OBSERVATION,
            status=Session.Status.HELD,
            date=start + dt.timedelta(weeks=n),
            guide_version=version,
        )
        for n in range(MEETINGS)
    )
    answers = ["yes"] * 8 + ["no", "na"]
    ChecklistTick.objects.bulk_create(
        ChecklistTick(session=meeting, question=point, answer=rng.choice(answers), ticked_by=user)
        for meeting in meetings
        for point in points
    )
    OtherAttendee.objects.bulk_create(
        OtherAttendee(session=meeting, kind=kind, role=role)
        for meeting in meetings
        for kind, role in [
            ("researcher", "Fullt deltakende"),
            ("other", "Kjøkkenleder"),
            ("other", "Sjef"),
            ("other", "Gjest"),
        ]
    )
    meeting = meetings[0]
    notes = []
    for observer in (user, colleague):
        text = "\n\n".join(f"Avsnitt {n}: lederen spør etter avvik og noterer." for n in range(60))
        notes.append(
            Source.objects.create(
                study=study,
                session=meeting,
                kind=Source.Kind.FIELD_NOTES,
                observer=observer,
                title=f"Notater {observer.pk}",
                text=text,
                length=len(text),
                created_by=user,
            )
        )
    FieldNoteDisagreement.objects.bulk_create(
        FieldNoteDisagreement(
            session=meeting,
            topic=f"Uenighet {n}",
            first_source=notes[0],
            first_view="Ivrig",
            second_source=notes[1],
            second_view="Oppgitt",
            resolution="Begge" if n % 2 else "",
            created_by=user,
        )
        for n in range(DISAGREEMENTS)
    )
    return user, study, meeting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    recreate_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    user, study, meeting = build()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"PostgreSQL {connection.pg_version // 10000}, Django {django.get_version()}; data built in "
        f"{time.perf_counter() - started:.0f} s: {MEETINGS} meetings × {THEMES * POINTS_PER_THEME} points "
        f"= {MEETINGS * THEMES * POINTS_PER_THEME} ticks."
    )
    client = Client()
    client.force_login(user, backend="config.auth.ModelBackend")
    pages = [
        ("Counts across 150 meetings × 40 points", reverse("observation_counts", args=[study.pk])),
        ("Checklist of one meeting, 40 points", reverse("observation_checklist", args=[study.pk, meeting.pk])),
        ("Session page of an observed meeting", reverse("session_detail", args=[study.pk, meeting.pk])),
        (
            "Field notes side by side, 2 × 60 paragraphs, 30 disagreements",
            reverse("field_notes_compare", args=[study.pk, meeting.pk]),
        ),
    ]
    print(f"\n{args.requests} requests each, after one warm-up; server time through the test Client.\n")
    print("| Page | Median (ms) | p95 (ms) | SQL queries |")
    print("|---|---:|---:|---:|")
    for label, url in pages:
        median, p95, count, _size = measure(client, url, args.requests)
        print(f"| {label} | {median:.1f} | {p95:.1f} | {count} |")


if __name__ == "__main__":
    main()
