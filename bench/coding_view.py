"""Benchmark of the coding view and of applying a code, on PostgreSQL.

Usage (from the repository root)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/thesis_bench .venv/bin/python bench/coding_view.py [--requests 20]

``DATABASE_URL`` names the server; the script drops and re-creates its own
database ``<name>_coding`` there (``thesis_bench_coding``; the name must start
with ``thesis_bench``), migrates it and builds one study: a 250,000-character
Norwegian focus-group transcript made of the excerpt sentences in
``tests/fixtures/domain/study-00*.json``, with speaker labels (about 470
turns, 8 informants and a moderator), 80 codes in 8 trees and 1,000 excerpts
(overlapping and nested, one or two codes each). It then measures, through
Django's test ``Client`` (middleware, view, queries, templates; no network):

* the coding view: median and p95 of ``--requests`` GETs after one warm-up;
* applying a code (``excerpt_create`` as coding.js posts it): p95 of 100 POSTs
  on fresh selections, each answer being the re-rendered fragment.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import dedicated_url, percentile, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/thesis_bench"

TEXT_LENGTH = 250_000
EXCERPTS = 1_000
ROOT_CODES = 8
CHILDREN_PER_ROOT = 9  # 8 roots + 72 children = 80 codes
INFORMANTS = 8
APPLICATIONS = 100


def sentences() -> list[str]:
    found = []
    for path in sorted((ROOT / "tests" / "fixtures" / "domain").glob("study-00*.json")):
        for excerpt in json.loads(path.read_text(encoding="utf-8")).get("excerpts", []):
            text = " ".join((excerpt.get("text") or "").split())
            if text:
                found.append(text)
    if not found:
        raise SystemExit("No excerpt sentences found in tests/fixtures/domain/study-00*.json.")
    return found


def transcript(rng: random.Random) -> str:
    """About TEXT_LENGTH characters of turns: ``Moderator:`` asks, ``I1:``…``I8:`` answer with 1–3 sentences."""
    pool = sentences()
    lines, length, turn = [], 0, 0
    while length < TEXT_LENGTH:
        label = "Moderator" if turn % 4 == 0 else f"I{rng.randint(1, INFORMANTS)}"
        line = f"{label}: " + " ".join(rng.choice(pool) for _ in range(rng.randint(1, 3))) + "\n"
        lines.append(line)
        length += len(line)
        turn += 1
    return "".join(lines)[:TEXT_LENGTH].rstrip("\n") + "\n"


def build():
    """The study; rows are bulk-created (the services are tested elsewhere), turns as the importer would make them."""
    import re

    from cases.models import Informant, Membership, Study, User
    from interviews.models import Code, Coding, Excerpt, Source, SpeakerLabel, SpeakerTurn

    rng = random.Random(20170501)
    user = User.objects.create_user(email="bench@example.org", password="bench-pass-123", full_name="Bench Researcher")
    study = Study.objects.create(title="Benchmark study", created_by=user)
    Membership.objects.create(study=study, user=user, role=Membership.Role.OWNER)
    informants = Informant.objects.bulk_create(Informant(study=study, code=f"K{n + 1}") for n in range(INFORMANTS))
    codes: list[Code] = []
    for r in range(ROOT_CODES):
        root = Code.objects.create(study=study, name=f"RQ{r + 1}", position=r, created_by=user)
        codes += Code.objects.bulk_create(
            Code(
                study=study,
                parent=root,
                name=f"Kjennskap til innovasjon {r + 1}.{c + 1} – æøå",
                position=c,
                created_by=user,
                shortcut=str(c + 1) if r == 0 else "",
                colour=f"#{rng.randrange(0x1000000):06x}",
            )
            for c in range(CHILDREN_PER_ROOT)
        )
        codes.append(root)

    text = transcript(rng)
    source = Source.objects.create(
        study=study, title="Fokusgruppe 1 (benchmark)", text=text, length=len(text), created_by=user
    )
    labels = {}
    for name in ["Moderator"] + [f"I{n + 1}" for n in range(INFORMANTS)]:
        informant = informants[int(name[1:]) - 1] if name != "Moderator" else None
        role = SpeakerLabel.Role.INFORMANT if informant else SpeakerLabel.Role.MODERATOR
        labels[name] = SpeakerLabel.objects.create(source=source, label=name, role=role, informant=informant)
    matches = list(re.finditer(r"^(Moderator|I\d+):", text, re.MULTILINE))
    SpeakerTurn.objects.bulk_create(
        SpeakerTurn(
            source=source,
            speaker=labels[match.group(1)],
            start=match.start(),
            end=matches[n + 1].start() if n + 1 < len(matches) else len(text),
            label_end=match.end(),
        )
        for n, match in enumerate(matches)
    )

    # 1,000 excerpts: sentence-sized spans spread over the text, some nested in or overlapping a neighbour.
    excerpts = []
    step = len(text) // EXCERPTS
    for n in range(EXCERPTS):
        start = n * step + rng.randrange(0, step // 2)
        end = min(len(text), start + rng.randint(40, step * 3))
        excerpts.append(
            Excerpt(
                study=study,
                source=source,
                start=start,
                end=end,
                text=text[start:end],
                created_by=user,
                memo="Notat om tillit" if n % 10 == 0 else "",
                is_deviant=n % 50 == 0,
            )
        )
    excerpts = Excerpt.objects.bulk_create(excerpts)
    leaves = [code for code in codes if code.parent_id]
    Coding.objects.bulk_create(
        Coding(excerpt=excerpt, code=code, created_by=user)
        for excerpt in excerpts
        for code in rng.sample(leaves, rng.randint(1, 2))
    )
    Excerpt.speakers.through.objects.bulk_create(
        Excerpt.speakers.through(excerpt_id=excerpt.pk, informant_id=rng.choice(informants).pk) for excerpt in excerpts
    )
    return user, study, source, leaves, len(matches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a cProfile of five coding-view requests and a pyinstrument profile of twenty code applications",
    )
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of one code application")
    args = parser.parse_args()

    url = dedicated_url(os.environ.get("DATABASE_URL", DEFAULT_URL), "_coding")
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    # setup_test_environment() is deliberately not called: it instruments every template render to record
    # contexts for test assertions, which a real server never does.
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from interviews.models import Excerpt

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    user, study, source, leaves, turns = build()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"PostgreSQL {connection.pg_version // 10000}, Django {django.get_version()}; data built in "
        f"{time.perf_counter() - started:.1f} s: a source of {len(source.text):,} characters, {turns} speaker turns, "
        f"{Excerpt.objects.count():,} excerpts, 80 codes."
    )

    client = Client()
    client.force_login(user, backend="config.auth.ModelBackend")
    view_url = reverse("coding_view", args=[study.pk, source.pk])
    response = client.get(view_url)
    assert response.status_code == 200, response.status_code
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            client.get(view_url)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
    timings = []
    for _ in range(args.requests):
        began = time.perf_counter()
        response = client.get(view_url)
        timings.append((time.perf_counter() - began) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(view_url)
    view = (statistics.median(timings), percentile(timings, 0.95), len(queries), len(response.content))

    rng = random.Random(7)
    create_url = reverse("excerpt_create", args=[study.pk])
    text = source.text

    def selection() -> dict:
        start = rng.randrange(0, len(text) - 200)
        end = start + rng.randint(20, 200)
        return {
            "source": source.pk,
            "start": start,
            "end": end,
            "text": text[start:end],
            "code": [code.pk for code in rng.sample(leaves, 2)],
        }

    if args.profile:
        from pyinstrument import Profiler

        samples = [selection() for _ in range(20)]
        with Profiler(interval=0.0005) as profiler:
            for data in samples:
                client.post(create_url, data, HTTP_X_REQUESTED_WITH="fetch")
        print(profiler.output_text(color=False, show_all=False))
        rng = random.Random(7)
    applications = []
    for _ in range(APPLICATIONS):
        data = selection()
        began = time.perf_counter()
        response = client.post(create_url, data, HTTP_X_REQUESTED_WITH="fetch")
        applications.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.content[:300]
    with CaptureQueriesContext(connection) as queries:
        start = 1000
        client.post(
            create_url,
            {
                "source": source.pk,
                "start": start,
                "end": start + 30,
                "text": text[start : start + 30],
                "code": leaves[0].pk,
            },
            HTTP_X_REQUESTED_WITH="fetch",
        )
    apply_queries = len(queries)
    if args.show_queries:
        for number, query in enumerate(queries.captured_queries, 1):
            print(f"{number:2d} {query['time']}s {query['sql'][:150]}")

    print(
        f"\nServer time through the test Client ({args.requests} GETs after one warm-up; {APPLICATIONS} applications).\n"
    )
    print("| Measure | Median (ms) | p95 (ms) | SQL queries | Response |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| Coding view, 250,000 characters, 1,000 excerpts | {view[0]:.1f} | {view[1]:.1f} | {view[2]} | {view[3] / 1024:.0f} KiB |"
    )
    print(
        f"| Apply a code (excerpt_create + fragment) | {statistics.median(applications):.1f} | "
        f"{percentile(applications, 0.95):.1f} | {apply_queries} | {len(response.content) / 1024:.0f} KiB |"
    )


if __name__ == "__main__":
    main()
