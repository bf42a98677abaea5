"""The code matrix at 1×/10×/100× of a typical study, on PostgreSQL.

Usage (from the repository root)::

    .venv/bin/python bench/matrix.py [--database-url postgres://postgres@127.0.0.1:5432/thesis_bench_matrix]
                                     [--scales 1,10,100] [--requests 9] [--reuse] [--explain] [--vacuum]
                                     [--random-page-cost 4,1.1]

Builds (or, with ``--reuse``, finds) the studies exactly as bench/scaling.py does
(``manage.py generate_study --scale N``, same titles, so the two scripts can share a
database) and measures through Django's test ``Client``:

* the matrix page as it opens (top-level codes, sub-codes rolled up);
* the page with every code on its own (``rollup=0``, page 1 of 100 rows);
* the page with the largest top-level branch opened (``open=``);
* the CSV export (every code) and the code × group XLSX export of the Exchange page.

Each: median and nearest-rank p95 of the server time, the SQL query count and the
peak of Python memory in one request (tracemalloc). ``--explain`` prints EXPLAIN
(ANALYZE, BUFFERS) of the matrix aggregate at the largest scale. ``--vacuum`` runs VACUUM ANALYZE
first, as autovacuum would have by then on a server: without it, freshly generated tables have no
visibility map and PostgreSQL cannot answer from its covering indexes alone.
``--random-page-cost 4,1.1`` times the aggregate statement alone (rolled up, and code by code) under each
``random_page_cost`` in turn, alternating, as the application runs it (its own transaction, its work_mem):
what ``MATRIX_RANDOM_PAGE_COST`` in ``interviews/selectors_analysis.py`` buys at each scale.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scaling import (  # noqa: E402
    OWNER,
    getter,
    like_a_web_process,
    open_database,
    print_table,
    scale_arguments,
    study_for,
    timed,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/thesis_bench_matrix"


def measure(study, requests: int) -> dict[str, tuple]:
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from cases.models import User
    from interviews.models import Code

    client = Client()
    client.force_login(User.objects.get(email=OWNER), backend="config.auth.ModelBackend")
    branch = Code.objects.filter(study=study, parent__isnull=True).annotate(n=Count("children")).order_by("-n").first()
    page = reverse("code_matrix", args=[study.pk])

    return {
        "Matrix page (top level, rolled up)": timed(getter(client, page), requests),
        "Matrix page, every code on its own (page 1)": timed(getter(client, page + "?rollup=0"), requests),
        "Matrix page, largest branch opened": timed(getter(client, page + f"?open={branch.pk}"), requests),
        "Matrix CSV (every code, rolled up)": timed(getter(client, reverse("code_matrix_export", args=[study.pk])), 3),
        "Code × group XLSX (Exchange)": timed(getter(client, reverse("exchange_matrix_xlsx", args=[study.pk])), 3),
    }


def explain(study) -> None:
    from django.db import connection

    from interviews import selectors_analysis as selectors

    captured = []

    def capture(execute, sql, params, many, context):
        if "GROUPING SETS" in sql:
            captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        selectors.code_matrix(study, rollup=True)
    sql, params = captured[0]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("\n".join(row[0] for row in cursor.fetchall()))


def planner_costs(studies, costs: list[str], rounds: int = 7) -> None:
    """The aggregate statement of each study's matrix (rolled up; code by code), timed under each cost in turn."""
    import statistics

    from django.db import connection, transaction

    from interviews import selectors_analysis as selectors

    print("\n| Scale | Matrix | " + " | ".join(f"random_page_cost {cost}: median (ms)" for cost in costs) + " |")
    print("|---|---|" + "---:|" * len(costs))
    for scale, study in studies:
        captured = []

        def capture(execute, sql, params, many, context, captured=captured):
            if "GROUPING SETS" in sql:
                captured.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            selectors.code_matrix(study, rollup=True)
            selectors.code_matrix(study, rollup=False)
        for name, (sql, params) in zip(("rolled up", "code by code"), captured, strict=True):
            times = {cost: [] for cost in costs}
            for round_ in range(rounds):
                for cost in costs if round_ % 2 == 0 else costs[::-1]:
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT set_config('work_mem', %s, true), set_config('random_page_cost', %s, true)",
                            [selectors.MATRIX_WORK_MEM, cost],
                        )
                        began = time.perf_counter()
                        cursor.execute(sql, params)
                        cursor.fetchall()
                        times[cost].append((time.perf_counter() - began) * 1000)
            cells = " | ".join(f"{statistics.median(times[cost]):.1f}" for cost in costs)
            print(f"| {scale:g}× | {name} | {cells} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    scale_arguments(parser, requests=9, url=DEFAULT_URL)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the aggregate at the largest scale")
    parser.add_argument("--vacuum", action="store_true", help="VACUUM ANALYZE before measuring")
    parser.add_argument(
        "--random-page-cost",
        help="instead: time the aggregate alone under each of these random_page_cost values in turn (e.g. 4,1.1)",
    )
    args = parser.parse_args()
    scales = [float(value) for value in args.scales.split(",")]

    reused = open_database(args.database_url, reuse=args.reuse)
    from django.db import connection

    studies = [(scale, study_for(scale)[0]) for scale in scales]
    if not reused or args.vacuum:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if args.vacuum else "ANALYZE")
    like_a_web_process()
    if args.random_page_cost:
        planner_costs(studies, args.random_page_cost.split(","))
        return

    table = {}
    for scale, study in studies:
        started = time.perf_counter()
        table[scale] = measure(study, args.requests)
        print(
            f"{scale:g}x measured in {time.perf_counter() - started:.0f} s (load {os.getloadavg()[0]:.2f})", flush=True
        )
    if args.explain:
        explain(studies[-1][1])

    print(
        f"\nServer time through the test Client ({args.requests} timed requests after one warm-up; 3 for the exports). "
        "Peak = Python allocations during one request (tracemalloc).\n"
    )
    print_table(table, scales)


if __name__ == "__main__":
    main()
