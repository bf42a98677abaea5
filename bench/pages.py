"""Every page of a study at 1×/10×/100× of a typical study: server time, queries, size of the answer.

Usage (from the repository root)::

    .venv/bin/python bench/pages.py [--database-url postgres://postgres@127.0.0.1:5432/thesis_bench9_scale]
                                    [--scales 1,10,100] [--requests 5] [--reuse] [--only codebook,code_cooccurrence]

The scaling curves (``bench/scaling.py``) follow the operations issue 9 names; this walks every other page a
student or supervisor opens in a study (the overview, sources, informants, consent, sessions, the codebook,
memos, the three analysis views, review, exchange, lifecycle, audit…), so that a page nobody thought of
cannot grow past the targets unseen (≤ 150 ms median for a typical study, ≤ 500 ms at 100×). It found the
codebook page (8.3 s at 100×) and the co-occurrence table (3.9 s at 10×).

The studies are those of ``bench/scaling.py`` (same titles, same database, built by ``generate_study`` when
missing); the database is analysed and vacuumed first, as autovacuum would have. Each page: one warm-up, then
``--requests`` timed GETs through Django's test ``Client`` as the study's owner; the median and nearest-rank
p95, the queries of one more request, the answer's size. Pages over the target of their scale are marked.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scaling  # noqa: E402

# (URL name, query string): every page of a study that takes only the study's key.
PAGES = (
    ("study_overview", ""),
    ("study_detail", ""),
    ("member_list", ""),
    ("site_list", ""),
    ("informant_list", ""),
    ("key_list", ""),
    ("approval_list", ""),
    ("consent_list", ""),
    ("instrument_list", ""),
    ("session_list", ""),
    ("source_list", ""),
    ("codebook", ""),
    ("codebook_versions", ""),
    ("memo_list", ""),
    ("retrieval", "?code={code}"),
    ("code_matrix", ""),
    ("code_cooccurrence", ""),
    ("review_list", ""),
    ("supervision_list", ""),
    ("exchange", ""),
    ("chapter_list", ""),
    ("report_list", ""),
    ("data_lifecycle", ""),
    ("reidentification_check", ""),
    ("audit_log", ""),
)


def target_ms(scale: float) -> float:
    return 150.0 if scale <= 1 else 500.0


def measure(study, requests: int, only: set[str]) -> dict[str, tuple[float, float, int, float, int]]:
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from cases.models import User
    from interviews.models import Code

    client = Client()
    client.force_login(User.objects.get(email=scaling.OWNER), backend="config.auth.ModelBackend")
    code = Code.objects.filter(study=study).annotate(n=Count("codings")).order_by("-n").only("pk").first()
    results = {}
    for name, query in PAGES:
        if only and name not in only:
            continue
        url = reverse(name, args=[study.pk]) + query.format(code=code.pk if code else "")
        size = []

        def action(url=url, size=size):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            size[:] = [len(scaling.consume(response))]

        median, p95, queries, _peak = scaling.timed(action, requests)
        results[name] = (median, p95, queries, size[0])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    scaling.scale_arguments(parser, requests=5)
    parser.add_argument("--only", default="", help="a comma-separated subset of the pages (their URL names)")
    args = parser.parse_args()
    scales = [float(value) for value in args.scales.split(",")]
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if unknown := only - {name for name, _query in PAGES}:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")

    scaling.open_database(args.database_url, reuse=args.reuse)
    from django.db import connection

    studies = [(scale, scaling.study_for(scale)[0]) for scale in scales]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    scaling.like_a_web_process()

    table = {}
    for scale, study in studies:
        started = time.perf_counter()
        table[scale] = measure(study, args.requests, only)
        print(f"{scale:g}x measured in {time.perf_counter() - started:.0f} s", flush=True)

    print(
        f"\nServer time through the test Client ({args.requests} timed requests after one warm-up); "
        "**bold**: over the target (150 ms median for a typical study, 500 ms at 10× and 100×).\n"
    )
    print("| Page | " + " | ".join(f"{s:g}× median / p95 (ms) | queries | KiB" for s in scales) + " |")
    print("|---|" + "---:|---:|---:|" * len(scales))
    for name in table[scales[0]]:
        cells = []
        for scale in scales:
            median, p95, queries, size = table[scale][name]
            figure = f"{median:,.1f} / {p95:,.1f}"
            cells += [f"**{figure}**" if median > target_ms(scale) else figure, str(queries), f"{size / 1024:,.0f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
