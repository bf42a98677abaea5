"""Benchmark of a chapter-4 export: 300 quotes (about 60 pages) to PDF, on PostgreSQL.

Usage (from the repository root)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/thesis_bench .venv/bin/python bench/chapter_render.py [--quotes 300] [--runs 3]

``DATABASE_URL`` names the server; the script drops and re-creates its own
database ``<name>_chapter`` there (``thesis_bench_chapter``; the name must start
with ``thesis_bench``), migrates it and builds one study through the services:
2 groups × 6 informants with consent, one transcript of ``--quotes`` excerpts,
``--join`` (2.5 on average) consecutive excerpt texts of ``tests/fixtures/domain/study-00*.json``
joined into one multi-sentence passage (long ones become block quotes), 10 codes, and a chapter of 10 sections fed by those codes (one quote
per excerpt), each with a paragraph using ``{count}`` and a code-frequency table,
grouped by informant group, with role-label attribution.

It then measures, ``--runs`` times each:

* ``document``: gathering the chapter (``build_document``) and its SQL queries;
* ``html``: rendering the PDF template;
* ``weasyprint``: WeasyPrint alone on that final HTML – the floor;
* ``job``: the job inside a real Celery worker (``started_at`` → ``finished_at``
  on the job row: claim, gather, render, page count, store the file, audit);
* ``end to end``: from ``chapter_export_request`` (queued on commit) until
  polling the job row sees it done.

The worker is a ``celery worker --pool=solo`` subprocess on a queue of its own
(``bench-chapter-<pid>``), on the bench database and the Redis of the test
settings, so the task runs in the worker's main process; its peak resident
memory is that process's ``VmHWM`` in ``/proc/<pid>/status`` after the runs.
One round runs first unmeasured (a worker serves many jobs; neither side should
pay for first imports and font loading). The script reports medians, the job /
WeasyPrint ratio (of the medians, and the median of each run's own ratio), the
page count, that peak and the load average.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import dedicated_url, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/thesis_bench"
SECTIONS = 10


def passages(count: int, join: float) -> list[str]:
    """``count`` distinct passages of consecutive domain excerpts (in a thesis's order), ``join`` of them on average.

    Passage ``n`` takes ``floor((n + 1) × join) − floor(n × join)`` excerpts, so ``--join 2.25`` gives
    2, 2, 2, 3, 2, 2, 2, 3, …
    """
    found: list[str] = []
    for path in sorted((ROOT / "tests" / "fixtures" / "domain").glob("study-00*.json")):
        for excerpt in json.loads(path.read_text(encoding="utf-8")).get("excerpts", []):
            text = " ".join((excerpt.get("text") or "").split())
            if text and text not in found:
                found.append(text)
    joined: list[str] = []
    start, n, rounds = 0, 0, 0
    while len(joined) < count:
        size = math.floor((n + 1) * join) - math.floor(n * join)
        n += 1
        if start + size > len(found):  # start over, with a marker so that every passage is distinct
            start, rounds = rounds + 1, rounds + 1
            continue
        text = " ".join(found[start : start + size])
        joined.append(f"{text} ({rounds})" if rounds else text)
        start += size
    return joined


def build(quotes: int, join: float):
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
    lines = passages(quotes, join)
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


class Worker:
    """A ``celery worker --pool=solo`` subprocess on its own queue; the task runs in its main process."""

    def __init__(self, url: str, queue: str, media: str):
        from django.conf import settings

        from config.celery import app

        self.app, self.log = app, tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)
        self.nodename = f"{queue}@{socket.gethostname()}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "DJANGO_MEDIA_ROOT": media,
        }
        command = [
            str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "--pool=solo", "--concurrency=1",
            "-Q", queue, "-n", self.nodename, "--without-heartbeat", "--without-mingle", "--without-gossip",
            "-l", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[self.nodename], timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"The worker did not start:\n{Path(self.log.name).read_text()[-3000:]}")

    def peak_mb(self) -> float:
        """The worker process's peak resident set (VmHWM), in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        with self.app.connection_for_write() as broker:
            broker.default_channel.queue_delete(self.process.args[self.process.args.index("-Q") + 1])
        Path(self.log.name).unlink(missing_ok=True)


def wait_done(job, worker: Worker, timeout: float = 300) -> None:
    from cases.models import ReportJob

    deadline = time.monotonic() + timeout
    while True:
        job.refresh_from_db()
        if job.state not in (ReportJob.State.QUEUED, ReportJob.State.RUNNING):
            break
        if worker.process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"Job {job.pk} still {job.state}:\n{Path(worker.log.name).read_text()[-3000:]}")
        time.sleep(0.05)
    assert job.state == ReportJob.State.DONE, job.message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--join", type=float, default=2.5, help="domain excerpts joined into one quote, on average")
    args = parser.parse_args()

    url = dedicated_url(os.environ.get("DATABASE_URL", DEFAULT_URL), "_chapter")
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    queue = f"bench-chapter-{os.getpid()}"
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    media = tempfile.mkdtemp(prefix="bench-chapter-media-")
    os.environ["DJANGO_MEDIA_ROOT"] = media
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
    from cases.services.chapters import chapter_export_request

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    study, owner, chapter = build(args.quotes, args.join)
    print(
        f"PostgreSQL {connection.pg_version // 10000}, Django {django.get_version()}; data built in {time.perf_counter() - started:.1f} s"
    )

    worker = Worker(url, queue, media)
    try:
        timings: dict[str, list[float]] = {"document": [], "html": [], "weasyprint": [], "job": [], "end to end": []}
        pages = 0
        # One round unmeasured: a worker serves many jobs, so neither side should pay for first imports and fonts.
        render_pdf(chapter_html(build_document(chapter, for_print=True)))
        warm = chapter_export_request(
            chapter=chapter, actor=owner, kind=ReportJob.Kind.CHAPTER_PDF, acknowledged=True, warnings=0
        )
        wait_done(warm, worker)
        warm.file.delete(save=False)
        for _run in range(args.runs):
            t0 = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                document = build_document(chapter, for_print=True)
            t1 = time.perf_counter()
            html = chapter_html(document)
            t2 = time.perf_counter()
            render_pdf(html)
            t3 = time.perf_counter()
            job = chapter_export_request(
                chapter=chapter, actor=owner, kind=ReportJob.Kind.CHAPTER_PDF, acknowledged=True, warnings=0
            )  # queued on commit: the worker takes it now
            wait_done(job, worker)
            t4 = time.perf_counter()
            pages = job.page_count
            job.file.delete(save=False)
            in_worker = (job.finished_at - job.started_at).total_seconds()
            for name, value in (
                ("document", t1 - t0),
                ("html", t2 - t1),
                ("weasyprint", t3 - t2),
                ("job", in_worker),
                ("end to end", t4 - t3),
            ):
                timings[name].append(value)
        peak_mb = worker.peak_mb()
    finally:
        worker.stop()
        shutil.rmtree(media, ignore_errors=True)
    quotes = len(document.printed_quotes)
    print(
        f"{quotes} quotes, {len(document.sections)} sections, {pages} pages, {len(queries.captured_queries)} queries to gather"
    )
    for name, values in timings.items():
        print(f"{name:>10}: median {median(values):6.2f} s  (runs: {', '.join(f'{v:.2f}' for v in values)})")
    ratio = median(timings["job"]) / median(timings["weasyprint"])
    ratio_end = median(timings["end to end"]) / median(timings["weasyprint"])
    paired = median([job / floor for job, floor in zip(timings["job"], timings["weasyprint"], strict=True)])
    print(
        f"job in the worker / WeasyPrint floor: {ratio:.2f}× (median of the runs' own ratios {paired:.2f}×); "
        f"end to end / floor: {ratio_end:.2f}×"
    )
    print(f"peak resident memory of the worker process (VmHWM): {peak_mb:.0f} MB")
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
