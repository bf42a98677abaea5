"""Benchmark of a chapter-4 export: 300 quotes (about 60 pages) to PDF, on PostgreSQL.

Usage (from the repository root)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/thesis_bench .venv/bin/python bench/chapter_render.py [--quotes 300] [--runs 3]

``DATABASE_URL`` names the server; the script drops and re-creates its own
database ``<name>_chapter`` there (``thesis_bench_chapter``; the name must start
with ``thesis_bench``), migrates it and builds one study through the services:
2 groups × 6 informants with consent, one transcript of ``--quotes`` excerpt
sentences from ``tests/fixtures/domain/study-00*.json`` (long ones become block
quotes), 10 codes, and a chapter of 10 sections fed by those codes (one quote
per excerpt), each with a paragraph using ``{count}`` and a code-frequency table,
grouped by informant group, with role-label attribution.

It then measures, ``--runs`` times each, in this process:

* ``document``: gathering the chapter (``build_document``) and its SQL queries;
* ``html``: rendering the PDF template;
* ``weasyprint``: WeasyPrint alone on that final HTML – the floor;
* ``job``: the whole job as the worker runs it (``report_render``: claim,
  gather, render, page count, store the file, audit) on a queued ``ReportJob``.

and reports medians, the job / WeasyPrint ratio, the page count and the
process's peak resident memory (``ru_maxrss``) after the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/thesis_bench"
SECTIONS = 10


def dedicated_url(url: str) -> str:
    parts = urlparse(url)
    name = parts.path.lstrip("/") or "thesis_bench"
    if not name.endswith("_chapter"):
        name += "_chapter"
    if not name.startswith("thesis_bench"):
        raise SystemExit(f"Refusing to use {name!r}: the benchmark database name must start with thesis_bench.")
    return parts._replace(path=f"/{name}").geturl()


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def sentences(count: int) -> list[str]:
    found: list[str] = []
    for path in sorted((ROOT / "tests" / "fixtures" / "domain").glob("study-00*.json")):
        for excerpt in json.loads(path.read_text(encoding="utf-8")).get("excerpts", []):
            text = " ".join((excerpt.get("text") or "").split())
            if text and text not in found:
                found.append(text)
    if len(found) < count:  # repeat with a marker, so every line is distinct
        found += [f"{text} ({n})" for n, text in enumerate(found * (count // len(found) + 1))]
    return found[:count]


def build(quotes: int):
    import datetime as dt

    from cases.models import Attribution, ChapterBlock, ConsentRecord, Informant, InformantGroup, Study, User
    from cases.services import chapters as services
    from interviews.models import Source
    from interviews.services.codebook import code_create
    from interviews.services.excerpts import excerpt_create

    owner = User.objects.create_user(email="bench@example.org", password="bench", full_name="Bench")
    study = Study.objects.create(title="Benchmark: kapittel 4", language="nb", created_by=owner)
    study.memberships.create(user=owner, role="owner")
    groups = [
        InformantGroup.objects.create(study=study, label=label, position=i)
        for i, label in enumerate(["Arbeidsgiver", "Tillitsvalgt"])
    ]
    informants = []
    for group in groups:
        for n in range(6):
            informant = Informant.objects.create(
                study=study, code=f"{group.label[:2].upper()}{n + 1}", group=group, role="leder"
            )
            ConsentRecord.objects.create(informant=informant, given_on=dt.date(2017, 1, 10), recorded_by=owner)
            informants.append(informant)
    lines = sentences(quotes)
    text = "\n".join(lines) + "\n"
    source = Source.objects.create(study=study, title="Transkripsjon", text=text, length=len(text), created_by=owner)
    codes = [code_create(study=study, actor=owner, name=f"Tema {n + 1}") for n in range(SECTIONS)]
    offset = 0
    for index, line in enumerate(lines):
        excerpt = excerpt_create(
            source=source,
            actor=owner,
            start=offset,
            end=offset + len(line),
            text=line,
            code_ids=[codes[index % SECTIONS].pk],
        )
        excerpt.speakers.set([informants[index % len(informants)]])
        offset += len(line) + 1
    chapter = services.chapter_create(
        study=study, actor=owner, title="Resultater", attribution=Attribution.GROUP, table_of_contents=True
    )
    for n, code in enumerate(codes):
        section = services.section_create(
            chapter=chapter,
            actor=owner,
            title=f"Tema {n + 1}: funn og sitater",
            feed="code",
            code=code,
            group_quotes=True,
        )
        services.text_block_create(
            section=section,
            actor=owner,
            text="{count} av informantene sa noe om dette. *Oppsummert* er funnet tydelig.",
        )
        services.table_block_create(section=section, actor=owner, table=ChapterBlock.Table.CODE_FREQUENCY)
    return study, owner, chapter


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    url = dedicated_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.chapters.document import build_document
    from cases.chapters.render import chapter_html
    from cases.models import ReportJob
    from cases.pdf import render_pdf
    from cases.services.reports import report_render

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    study, owner, chapter = build(args.quotes)
    print(
        f"PostgreSQL {connection.pg_version // 10000}, Django {django.get_version()}; data built in {time.perf_counter() - started:.1f} s"
    )

    timings: dict[str, list[float]] = {"document": [], "html": [], "weasyprint": [], "job": []}
    pages = 0
    for _run in range(args.runs):
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            document = build_document(chapter, for_print=True)
        t1 = time.perf_counter()
        html = chapter_html(document)
        t2 = time.perf_counter()
        render_pdf(html)
        t3 = time.perf_counter()
        job = ReportJob.objects.create(
            study=study, chapter=chapter, kind=ReportJob.Kind.CHAPTER_PDF, requested_by=owner, language="nb"
        )
        t4 = time.perf_counter()
        report_render(job_id=job.pk)
        t5 = time.perf_counter()
        job.refresh_from_db()
        assert job.state == ReportJob.State.DONE, job.message
        pages = job.page_count
        job.file.delete(save=False)
        for name, value in (("document", t1 - t0), ("html", t2 - t1), ("weasyprint", t3 - t2), ("job", t5 - t4)):
            timings[name].append(value)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    quotes = len(document.printed_quotes)
    print(
        f"{quotes} quotes, {len(document.sections)} sections, {pages} pages, {len(queries.captured_queries)} queries to gather"
    )
    for name, values in timings.items():
        print(f"{name:>10}: median {median(values):6.2f} s  (runs: {', '.join(f'{v:.2f}' for v in values)})")
    ratio = median(timings["job"]) / median(timings["weasyprint"])
    print(f"job / WeasyPrint floor: {ratio:.2f}×; peak resident memory of the process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
