"""Benchmark of retrieval, the code matrix and co-occurrence on PostgreSQL.

Usage (from the repository root)::

    .venv/bin/python bench/retrieval.py [--database-url postgres://postgres@127.0.0.1:5432/thesis_bench_retrieval]
                                        [--requests 20] [--explain]

The script drops and re-creates the dedicated database ``thesis_bench_retrieval``,
migrates it, builds one study (80 codes in 8 trees, 2 groups, 12 informants,
100 sources with 6,000 excerpts, 5,000 of them carrying one code) and measures
each page through Django's test ``Client`` (the whole request: middleware,
views, queries, templates; no network). It prints the median and 95th
percentile of the server time and the page's SQL query count (templates are
not instrumented as under the test runner). ``--explain``
also prints EXPLAIN ANALYZE of the retrieval page's queries.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/thesis_bench_retrieval"

SOURCES = 100
EXCERPTS_WITH_TARGET_PER_SOURCE = 50
OTHER_EXCERPTS_PER_SOURCE = 10
ROOT_CODES = 8
CHILDREN_PER_ROOT = 9  # 8 roots + 72 children = 80 codes
INFORMANTS_PER_GROUP = 6


def build():
    """One study with the sizes above; rows are bulk-created (the services are tested elsewhere)."""
    from cases.models import Informant, InformantGroup, Membership, Site, Study, User
    from interviews.models import Code, Coding, Excerpt, Session, Source

    rng = random.Random(20170501)
    user = User.objects.create_user(email="bench@example.org", password="bench-pass-123", full_name="Bench Researcher")
    study = Study.objects.create(title="Benchmark study", created_by=user)
    Membership.objects.create(study=study, user=user, role=Membership.Role.OWNER)
    sites = [Site.objects.create(study=study, pseudonym=f"Kommune {letter}") for letter in "AB"]
    groups = [
        InformantGroup.objects.create(study=study, label=label, position=n)
        for n, label in enumerate(["Arbeidsgiver", "Tillitsvalgt"])
    ]
    informants = Informant.objects.bulk_create(
        Informant(study=study, code=f"{group.label[:2].upper()}{n + 1}", group=group, site=sites[n % 2])
        for group in groups
        for n in range(INFORMANTS_PER_GROUP)
    )
    codes: list[Code] = []
    for r in range(ROOT_CODES):
        root = Code.objects.create(study=study, name=f"Tema {r + 1}", position=r, created_by=user)
        codes.append(root)
        codes += Code.objects.bulk_create(
            Code(study=study, parent=root, name=f"Kode {r + 1}.{c + 1} – æøå", position=c, created_by=user)
            for c in range(CHILDREN_PER_ROOT)
        )
    target = codes[1]  # Tema 1 / Kode 1.1
    others = [code for code in codes if code.pk != target.pk]
    sessions = Session.objects.bulk_create(
        Session(study=study, code=f"S{n + 1:03d}", kind=Session.Kind.choices[n % 3][0]) for n in range(SOURCES // 2)
    )
    sentences_per_source = EXCERPTS_WITH_TARGET_PER_SOURCE + OTHER_EXCERPTS_PER_SOURCE
    for s in range(SOURCES):
        sentences = [
            f"Setning {n + 1} i kilde {s + 1}: vi snakket om medvirkning, tillit og tid til å prøve nye ting."
            for n in range(sentences_per_source)
        ]
        text = "\n".join(sentences) + "\n"
        source = Source.objects.create(
            study=study,
            session=sessions[s // 2],
            title=f"Kilde {s + 1:03d}",
            text=text,
            length=len(text),
            created_by=user,
        )
        excerpts, offset = [], 0
        for sentence in sentences:
            excerpts.append(
                Excerpt(
                    study=study,
                    source=source,
                    start=offset,
                    end=offset + len(sentence),
                    text=sentence,
                    created_by=user,
                    is_deviant=rng.random() < 0.05,
                )
            )
            offset += len(sentence) + 1
        excerpts = Excerpt.objects.bulk_create(excerpts)
        codings, speakers = [], []
        for n, excerpt in enumerate(excerpts):
            chosen = rng.sample(others, rng.randint(0, 2))
            if n < EXCERPTS_WITH_TARGET_PER_SOURCE:
                chosen.append(target)
            elif not chosen:
                chosen.append(rng.choice(others))
            codings += [Coding(excerpt=excerpt, code=code, created_by=user) for code in chosen]
            if rng.random() >= 0.05:  # about one excerpt in twenty has no known speaker
                speakers += [
                    Excerpt.speakers.through(excerpt_id=excerpt.pk, informant_id=informant.pk)
                    for informant in rng.sample(informants, rng.randint(1, 3))
                ]
        Coding.objects.bulk_create(codings)
        Excerpt.speakers.through.objects.bulk_create(speakers)
    return user, study, target, codes[0], groups[0]


def measure(client, url: str, requests: int) -> tuple[float, float, int, int]:
    """(median ms, p95 ms, query count, response bytes) of ``requests`` GETs after one warm-up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings.sort()
    p95 = timings[math.ceil(0.95 * len(timings)) - 1]  # nearest rank
    return statistics.median(timings), p95, len(queries), len(response.content)


def explain(client, url: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if "interviews_excerpt" not in query["sql"]:
                continue
            print("\n" + query["sql"][:400] + (" …" if len(query["sql"]) > 400 else ""))
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the retrieval queries")
    args = parser.parse_args()

    recreate_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    # The test Client's host. setup_test_environment() is deliberately not called: it wraps every template
    # render to record contexts for assertions, which a real server never does (it doubles the render time).
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    user, study, target, root, group = build()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from interviews.models import Coding, Excerpt

    print(
        f"PostgreSQL {connection.pg_version // 10000}, Django {django.get_version()}; data built in "
        f"{time.perf_counter() - started:.0f} s: {Excerpt.objects.count()} excerpts, {Coding.objects.count()} codings, "
        f"{Coding.objects.filter(code=target).count()} with the measured code, 80 codes, 2 groups, 12 informants."
    )

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    retrieval = reverse("retrieval", args=[study.pk])
    matrix = reverse("code_matrix", args=[study.pk])
    pages = [
        ("Retrieval, code with 5,000 excerpts, page 1 of 100", f"{retrieval}?code={target.pk}"),
        ("Retrieval, same code, page 100", f"{retrieval}?code={target.pk}&page=100"),
        (
            "Retrieval, theme with sub-codes + group filter",
            f"{retrieval}?code={root.pk}&descendants=1&group={group.pk}",
        ),
        ("Retrieval, text search in all excerpts", f"{retrieval}?q=kilde+7"),
        ("Retrieval CSV export, 5,000 excerpts", reverse("retrieval_export", args=[study.pk]) + f"?code={target.pk}"),
        ("Matrix, 80 codes × 2 groups", f"{matrix}?by=group"),
        ("Matrix, 80 codes × 2 groups, sub-codes rolled up", f"{matrix}?by=group&rollup=1"),
        ("Matrix, 80 codes × 12 informants", f"{matrix}?by=informant"),
        ("Co-occurrence, 80 × 80 codes", reverse("code_cooccurrence", args=[study.pk])),
    ]
    print(f"\n{args.requests} requests each, after one warm-up; server time through the test Client.\n")
    print("| Page | Median (ms) | p95 (ms) | SQL queries |")
    print("|---|---:|---:|---:|")
    for label, url in pages:
        median, p95, count, _size = measure(client, url, args.requests)
        print(f"| {label} | {median:.1f} | {p95:.1f} | {count} |")
    if args.explain:
        explain(client, pages[0][1])


if __name__ == "__main__":
    main()
