"""How the cost of the main operations grows with the size of a study, on PostgreSQL.

Usage (from the repository root)::

    .venv/bin/python bench/scaling.py [--database-url postgres://postgres@127.0.0.1:5432/thesis_bench9_scale]
                                      [--scales 1,10,100] [--requests 15] [--reuse] [--explain]

The database (its name must start with ``thesis_bench``) is dropped and re-created
unless ``--reuse`` is given and it already holds the studies; then one study per
scale is built with ``manage.py generate_study --scale N`` (N × the typical study
of 12 informants, 8 sessions, 250,000 characters, 60 codes, 800 excerpts), all in
the same database, as on a department server. For each study it measures through
Django's test ``Client`` (middleware, view, queries, templates; no network):

* the coding view of the study's longest source;
* retrieval of the code with the most excerpts (page 1);
* the code × group matrix;
* applying a code (``excerpt_create`` as coding.js posts it);
* QDPX export (the download, consumed whole);
* QDPX import of that export into a new study (the services behind the Exchange page;
  rolled back afterwards so that reruns see the same data);
* the chapter-4 PDF as the worker renders it (gather the chapter, render its HTML,
  WeasyPrint): a chapter with one section per top-level code (the 10 with the most
  excerpts at most), each with a ``{count}`` paragraph, a code-frequency table and
  an equal share of 300 quotes (about 60 pages at every scale: a thesis chapter does not grow with
  the data, but its counts and tables are computed over all of it).

``--operations view,retrieval,matrix,apply,export,import,chapter`` measures a subset.

Each: median and nearest-rank p95 of the server time, the SQL query count and the
peak of Python memory allocated during one request (``tracemalloc``, in a separate
request so that tracing does not slow the timed ones).
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/thesis_bench9_scale"
OWNER = "scale-bench@example.org"
PASSWORD = "scale-bench-pass-123"


def title_for(scale: float) -> str:
    return f"Skalering {scale:g}x"


def study_for(scale: float):
    """The study of this scale: reused when present, else generated (and timed)."""
    from django.core.management import call_command

    from cases.models import Study

    study = Study.objects.filter(title=title_for(scale)).first()
    if study is not None:
        return study, None
    started = time.perf_counter()
    out = io.StringIO()
    call_command(
        "generate_study", "--owner", OWNER, "--password", PASSWORD, "--scale", str(scale),
        "--title", title_for(scale), stdout=out,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    print(out.getvalue().strip(), flush=True)
    return Study.objects.get(title=title_for(scale)), elapsed


def timed(action, repeats: int, warm_up: bool = True) -> tuple[float, float, int, float]:
    """(median ms, p95 ms, queries, peak MiB) of ``action()``, after one warm-up unless told not to."""
    from django.db import connection

    if warm_up:
        action()
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        timings.append((time.perf_counter() - began) * 1000)
    # Counted with an execute wrapper: the request_started signal empties connection.queries_log mid-capture.
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        action()
    tracemalloc.start()
    action()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(timings), percentile(timings, 0.95), len(queries), peak / 2**20


def consume(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def getter(client, url: str):
    """An action for :func:`timed`: GET ``url`` with ``client``, expect 200, read the whole answer."""

    def action():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return consume(response)

    return action


def scale_arguments(parser: argparse.ArgumentParser, *, requests: int, url: str = DEFAULT_URL) -> None:
    """The options every script on the scaled studies takes: database, scales, timed requests, reuse."""
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", url))
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--reuse", action="store_true", help="keep the database and the studies already in it")


def open_database(url: str, *, reuse: bool) -> bool:
    """The benchmark database ``url`` (re-created unless ``reuse``), Django set up on it and migrated.

    Returns whether an existing database was kept; prints the versions and the machine's load.
    """
    reused = recreate_database(url, reuse=reuse)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)  # a reused database gets the migrations added since
    print(f"PostgreSQL {connection.pg_version // 10000}, Django {django.get_version()}, load {os.getloadavg()[0]:.2f}")
    return reused


def like_a_web_process() -> None:
    """Tune the garbage collector as every web process does once the application is loaded (config/wsgi.py)."""
    from config.runtime import tune_garbage_collector

    gc.collect()
    tune_garbage_collector()


CHAPTER_TITLE = "Skalering: kapittel 4"
QUOTES = 300


def chapter_for(study, owner):
    """The benchmark chapter of ``study``: reused when present, else composed through the services."""
    from django.db.models import Count, Q

    from cases.models import Attribution, Chapter, ChapterBlock
    from cases.services import chapters as services
    from interviews.models import Code, Excerpt

    chapter = Chapter.objects.filter(study=study, title=CHAPTER_TITLE).first()
    if chapter is not None:
        return chapter
    chapter = services.chapter_create(
        study=study, actor=owner, title=CHAPTER_TITLE, attribution=Attribution.GROUP, table_of_contents=True
    )
    tops = list(
        Code.objects.filter(study=study, parent__isnull=True)
        .annotate(n=Count("children__codings", filter=Q(children__isnull=False)))
        .order_by("-n", "pk")[:10]
    )
    per_section = QUOTES // len(tops)
    for top in tops:
        section = services.section_create(
            chapter=chapter, actor=owner, title=top.name, feed="code", code=top, group_quotes=True, fill_quotes=False
        )
        services.text_block_create(section=section, actor=owner, text="{count} av informantene sa noe om dette.")
        services.table_block_create(section=section, actor=owner, table=ChapterBlock.Table.CODE_FREQUENCY)
        picked = (
            Excerpt.objects.filter(
                codings__code__in=Code.objects.filter(Q(pk=top.pk) | Q(parent=top) | Q(parent__parent=top))
            )
            .distinct()
            .order_by("pk")[:per_section]
        )
        for excerpt in picked:
            services.quote_add(section=section, actor=owner, excerpt=excerpt)
    return chapter


OPERATIONS = ("view", "retrieval", "matrix", "apply", "export", "import", "chapter")


def measure_study(
    study, requests: int, heavy_requests: int, explain: bool, operations: tuple[str, ...] = OPERATIONS
) -> dict[str, tuple]:
    import random

    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from cases.models import User
    from interviews.models import Code, Source
    from interviews.refi.importer import qdpx_import_new_study
    from interviews.refi.reader import read_project

    owner = User.objects.get(email=OWNER)
    client = Client()
    client.force_login(owner, backend="config.auth.ModelBackend")
    source = Source.objects.filter(study=study).order_by("-length").only("pk", "text", "length").first()
    code = Code.objects.filter(study=study).annotate(n=Count("codings")).order_by("-n").only("pk").first()
    leaves = list(Code.objects.filter(study=study, parent__isnull=False).values_list("pk", flat=True)[:50])
    results: dict[str, tuple] = {}

    if "view" in operations:
        results["Coding view (longest source)"] = timed(
            getter(client, reverse("coding_view", args=[study.pk, source.pk])), requests
        )
    if "retrieval" in operations:
        results["Retrieval, code with most excerpts, page 1"] = timed(
            getter(client, reverse("retrieval", args=[study.pk]) + f"?code={code.pk}"), requests
        )
    if "matrix" in operations:
        results["Code × group matrix"] = timed(getter(client, reverse("code_matrix", args=[study.pk])), requests)

    rng = random.Random(7)
    text = source.text
    create_url = reverse("excerpt_create", args=[study.pk])

    def apply_code():
        start = rng.randrange(0, len(text) - 200)
        end = start + rng.randint(20, 200)
        response = client.post(
            create_url,
            {"source": source.pk, "start": start, "end": end, "text": text[start:end], "code": rng.sample(leaves, 2)},
            HTTP_X_REQUESTED_WITH="fetch",
        )
        assert response.status_code == 200, response.content[:300]

    if "apply" in operations:
        results["Apply a code (excerpt_create)"] = timed(apply_code, requests)

    export_url = reverse("exchange_export_qdpx", args=[study.pk])
    exported = {}

    def export():
        exported["bytes"] = getter(client, export_url)()

    if "export" in operations or "import" in operations:
        results["QDPX export"] = timed(export, heavy_requests, warm_up=False)

    def import_back():
        with transaction.atomic():
            project = read_project(io.BytesIO(exported["bytes"]))
            qdpx_import_new_study(owner=owner, project=project, title="Import (rolled back)")
            transaction.set_rollback(True)

    if "import" in operations:
        results["QDPX import (into a new study, rolled back)"] = timed(import_back, heavy_requests, warm_up=False)
    results["_export_size"] = (len(exported.get("bytes", b"")),)

    if "chapter" in operations:
        from pypdf import PdfReader

        from cases.chapters.document import build_document
        from cases.chapters.render import chapter_html
        from cases.pdf import render_pdf

        chapter = chapter_for(study, owner)
        pages = {}

        def render_chapter():
            document = build_document(chapter, for_print=True)
            pdf = render_pdf(chapter_html(document))
            pages["count"] = f"{len(PdfReader(io.BytesIO(pdf)).pages)} pages, {len(document.printed_quotes)} quotes"

        results["Chapter-4 PDF (gather, HTML, WeasyPrint)"] = timed(render_chapter, heavy_requests)
        results["_chapter_pages"] = (pages["count"],)

    if explain:
        from django.test.utils import CaptureQueriesContext

        for label, url in (
            ("retrieval", reverse("retrieval", args=[study.pk]) + f"?code={code.pk}"),
            ("matrix", reverse("code_matrix", args=[study.pk])),
        ):
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:2]
            for query in slowest:
                print(f"\n-- {label}: {query['time']} s\n{query['sql'][:400]}")
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    print("\n".join(row[0] for row in cursor.fetchall()))
    return results


def print_table(table: dict, scales: list[float]) -> None:
    """One Markdown row per operation: median / p95, queries and peak memory at each scale."""
    header = "| Operation | " + " | ".join(
        f"{s:g}× median / p95 (ms) | {s:g}× queries | {s:g}× peak MiB" for s in scales
    )
    print(header + " |")
    print("|---|" + "---:|---:|---:|" * len(scales))
    for operation in table[scales[0]]:
        cells = []
        for scale in scales:
            median, p95, queries, peak = table[scale][operation]
            cells += [f"{median:,.1f} / {p95:,.1f}", str(queries), f"{peak:,.1f}"]
        print(f"| {operation} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    scale_arguments(parser, requests=15)
    parser.add_argument("--heavy-requests", type=int, default=3, help="timed repetitions of export and import")
    parser.add_argument("--operations", default=",".join(OPERATIONS), help="a subset of " + ",".join(OPERATIONS))
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest retrieval and matrix queries"
    )
    args = parser.parse_args()
    scales = [float(value) for value in args.scales.split(",")]
    operations = tuple(name.strip() for name in args.operations.split(","))
    if unknown := set(operations) - set(OPERATIONS):
        parser.error(f"unknown operations: {', '.join(sorted(unknown))}")

    open_database(args.database_url, reuse=args.reuse)
    from django.db import connection

    studies = []
    for scale in scales:
        study, built = study_for(scale)
        studies.append((scale, study, built))
    # As autovacuum would have by the time anyone reads the study on a server: statistics for the planner and
    # the visibility map that index-only scans need (freshly inserted rows have none).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    like_a_web_process()

    table = {}
    for scale, study, built in studies:
        started = time.perf_counter()
        table[scale] = measure_study(study, args.requests, args.heavy_requests, args.explain, operations)
        size = table[scale].pop("_export_size")[0]
        pages = table[scale].pop("_chapter_pages", (None,))[0]
        generated = f"generated in {built:.1f} s" if built is not None else "reused"
        print(
            f"{scale:g}x measured in {time.perf_counter() - started:.0f} s ({generated}; QDPX {size / 2**20:.1f} MiB; "
            + (f"chapter {pages}; " if pages else "")
            + f"load {os.getloadavg()[0]:.2f})",
            flush=True,
        )

    print(
        f"\nServer time through the test Client ({args.requests} timed requests after one warm-up; "
        f"{args.heavy_requests} for export and import, without warm-up). Peak = Python allocations during one request (tracemalloc).\n"
    )
    print_table(table, scales)


if __name__ == "__main__":
    main()
