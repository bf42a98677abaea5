"""Side by side with Taguette 1.5.2: the same documents, highlights and export through both HTTP APIs.

Usage (from the repository root; Taguette lives in a throwaway virtualenv, never in requirements)::

    python3.11 -m venv bench/.taguette-venv
    bench/.taguette-venv/bin/pip install taguette==1.5.2 'psycopg2-binary<3'
    .venv/bin/python bench/versus_taguette.py [--documents 80] [--chars 31000] [--highlights 2000] [--exports 10]
                                              [--block 25] [--no-analyze] [--timings times.json]
                                              [--worker-class gthread|sync] [--runs 1]
    .venv/bin/python bench/versus_taguette.py --documents 20 --idle 0,2,5,20,50   # the idle penalty, below

Both run on 127.0.0.1 against PostgreSQL (``thesis_bench9_taguette`` for us,
``thesis_bench9_taguette_tg`` for Taguette; both dropped and re-created), each as one process
(one gunicorn worker process, run as docs/DEPLOY.md runs it, keeping the client's connection open between
requests, or ``--worker-class sync``; Taguette's single Tornado process), driven by one sequential client, so
the figures are per-request latencies of the same workload:

1. import ``--documents`` Norwegian transcripts of ``--chars`` characters (ours: the source upload form
   with a .txt file; Taguette: ``document/new`` with an .html file, so no Calibre conversion runs);
2. ``--highlights`` highlights of one code/tag each on random spans inside a line (ours: ``excerpt_create``
   as coding.js posts it; Taguette: ``highlight/new`` with UTF-8 byte offsets computed from the same span);
3. export all highlights as CSV (ours: ``excerpts.csv`` of the Exchange page; Taguette: ``highlights/.csv``),
   once untimed (the first request of its kind in a process loads what it needs), then ``--exports`` times.

The steps go in blocks (``--block``, 25): our imports of documents 1–25, then Taguette's, then Taguette's of
26–50, then ours…, the tools taking turns to go first, so that a change in the machine's load falls on both
alike rather than on whichever ran second. Within a block each server gets its requests back to back, as a
busy department server does. ``--block 1`` alternates every single request instead; that penalises the faster
tool, since on these virtual machines a request is slower the longer its server sat idle before it (``--idle``
measures it: docs/PERFORMANCE.md), and with one request at a time each server sits idle for the other's
request, the faster tool's server for longer.

After the imports both databases are analysed (untimed), as autovacuum would have done on a server by the time
anyone codes: the PostgreSQL of these machines runs with autovacuum off, and without statistics the planner
guesses (``--no-analyze`` leaves them so). The study, the project and the codes/tags are set up before the
clock starts. Taguette's export is checked
to contain the same highlighted text as ours, so both really did the same work.

Every timed request is reported twice: as the client saw it (from sending it to having read the whole answer),
and as its server logged it (gunicorn's access log, which this script turns on, and the log Taguette keeps of
every request: from having read the request's headers to having handed over the whole answer). The difference
is the client's and the loopback's, about the same for both tools (1.5–2.5 ms a request here), and it pulls the
client's ratios towards 1. ``--runs N`` repeats everything N times, each time on fresh databases and servers, and
ends with every run's ratios and their median: on these virtual machines one run's ratio for the 80 imports
moves by ±0.1 from run to run.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import itertools
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import analyze, percentile, recreate_database  # noqa: E402

OURS_DB = "postgres://postgres@127.0.0.1:5432/thesis_bench9_taguette"
TAGUETTE_DB = "postgresql://postgres@127.0.0.1:5432/thesis_bench9_taguette_tg"
TAGUETTE_PYTHON = ROOT / "bench" / ".taguette-venv" / "bin" / "python"
PASSWORD = "taguette-bench-pass-123"
LOG = ROOT / "var" / "bench-taguette.log"
ACCESS_LOG = ROOT / "var" / "bench-taguette-ours-access.log"
# Each server's own figure for a request, from its log: from the moment it has read the request's headers to the
# moment it has handed the whole answer to the socket (gunicorn's %(D)s in µs; Tornado's request_time in ms, which
# Taguette logs for every request). Nothing of the client's time is in it, nor the network's.
SERVER_LOG_LINES = {
    "ours": (
        re.compile(r"^(POST|GET) (\S+) \d{3} (\d+)$", re.MULTILINE),
        1 / 1000,
        {
            "import": re.compile(r"/studies/\d+/sources/new/$"),
            "highlight": re.compile(r"/studies/\d+/excerpts/new/$"),
            "export": re.compile(r"/studies/\d+/exchange/excerpts\.csv$"),
        },
    ),
    "Taguette": (
        re.compile(r"INFO: \d{3} (POST|GET) (\S+) \(127\.0\.0\.1\) ([\d.]+)ms"),
        1.0,
        {
            "import": re.compile(r"^/api/project/\d+/document/new$"),
            "highlight": re.compile(r"^/api/project/\d+/document/\d+/highlight/new$"),
            "export": re.compile(r"^/project/\d+/export/highlights/\.csv$"),
        },
    ),
}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def documents(count: int, chars: int, rng: random.Random) -> list[list[str]]:
    """Each document as its lines (speaker turns), Norwegian quotes from the domain fixtures."""
    quotes = []
    for path in sorted((ROOT / "tests" / "fixtures" / "domain").glob("study-*.json")):
        quotes += [" ".join((e.get("text") or "").split()) for e in json.loads(path.read_text("utf-8"))["excerpts"]]
    quotes = [q for q in quotes if q]
    docs = []
    for _ in range(count):
        lines, length, turn = [], 0, 0
        while length < chars:
            label = "Intervjuer" if turn % 2 == 0 else f"I{rng.randint(1, 6)}"
            line = f"{label}: " + " ".join(rng.choice(quotes) for _ in range(rng.randint(1, 4)))
            lines.append(line)
            length += len(line) + 1
            turn += 1
        docs.append(lines)
    return docs


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def client_session() -> requests.Session:
    """The client both tools are driven by: requests, without reading proxies or .netrc from the environment.

    With ``trust_env`` (requests' default) every request scanned all the process's environment variables for
    proxy settings several times, and every redirect answer (our import's 302) also prepared the redirect it
    would not follow: another scan and a look for ~/.netrc; about 0.5 ms of the client's time per 302 on these
    machines, none of it either server's. Both servers are on 127.0.0.1, so no proxy applies anyway.
    """
    session = requests.Session()
    session.trust_env = False
    return session


class Ours:
    name = "ours"

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.session = client_session()

    def setup(self):
        """The owner, the study and one code (outside the clock, through the ORM)."""
        import django

        django.setup()
        from django.core.management import call_command

        from cases.models import Membership, Study, User
        from interviews.models import Code

        call_command("migrate", verbosity=0)
        user = User.objects.create_user(email="tg-bench@example.org", password=PASSWORD, full_name="Bench")
        self.study = Study.objects.create(title="Sammenligning med Taguette", created_by=user)
        Membership.objects.create(study=self.study, user=user, role=Membership.Role.OWNER)
        self.code = Code.objects.create(study=self.study, name="Tillit", created_by=user)
        from django.db import connection

        connection.close()
        self.email = user.email

    def login(self):
        page = self.session.get(self.base + "/login/")
        token = CSRF.search(page.text).group(1)
        answer = self.session.post(
            self.base + "/login/",
            {"username": self.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.status_code

    def import_document(self, number: int, lines: list[str]) -> int:
        url = f"{self.base}/studies/{self.study.pk}/sources/new/"
        token = self.session.cookies["csrftoken"]
        text = "\n".join(lines) + "\n"
        answer = self.session.post(
            url,
            data={
                "title": f"Dokument {number}",
                "kind": "transcript",
                "encoding": "auto",
                "csrfmiddlewaretoken": token,
            },
            files={"upload": (f"dokument-{number}.txt", text.encode("utf-8"), "text/plain")},
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.text[:500]
        # Like Taguette's answer, ours names the new source: the speaker mapping page it sends the user to.
        match = re.search(r"/sources/(\d+)/speakers/$", answer.headers["Location"])
        assert match, answer.headers["Location"]
        return int(match.group(1))

    def highlight(self, doc_id: int, lines: list[str], line: int, start: int, end: int) -> None:
        offset = sum(len(text) + 1 for text in lines[:line])
        text = lines[line][start:end]
        answer = self.session.post(
            f"{self.base}/studies/{self.study.pk}/excerpts/new/",
            {"source": doc_id, "start": offset + start, "end": offset + end, "text": text, "code": self.code.pk},
            headers={"X-CSRFToken": self.session.cookies["csrftoken"], "X-Requested-With": "fetch"},
        )
        assert answer.status_code == 200, answer.text[:500]

    def export(self) -> list[str]:
        answer = self.session.get(f"{self.base}/studies/{self.study.pk}/exchange/excerpts.csv")
        assert answer.status_code == 200
        rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
        key = next(k for k in rows[0] if k.lower() in {"excerpt", "text", "utdrag"})
        return [row[key] for row in rows]


class Taguette:
    name = "Taguette"

    def __init__(self, port: int, token: str):
        self.base = f"http://127.0.0.1:{port}"
        self.session = client_session()
        self.token = token

    def _xsrf(self) -> dict[str, str]:
        return {"X-XSRFToken": self.session.cookies.get("_xsrf", "")}

    def setup(self):
        self.session.get(f"{self.base}/?token={self.token}")
        self.session.get(f"{self.base}/project/new")  # sets the _xsrf cookie
        answer = self.session.post(
            f"{self.base}/project/new",
            data={"name": "Sammenligning", "description": "", "_xsrf": self.session.cookies.get("_xsrf", "")},
            allow_redirects=False,
        )
        assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300])
        self.project = int(answer.headers["Location"].rstrip("/").split("/")[-1])
        answer = self.session.post(
            f"{self.base}/api/project/{self.project}/tag/new",
            json={"path": "Tillit", "description": ""},
            headers=self._xsrf(),
        )
        assert answer.status_code == 200, answer.text[:300]
        self.tag = answer.json()["id"]

    def import_document(self, number: int, lines: list[str]) -> int:
        body = "".join(f"<p>{html.escape(line, quote=False)}</p>\n" for line in lines)
        answer = self.session.post(
            f"{self.base}/api/project/{self.project}/document/new",
            data={"name": f"Dokument {number}", "description": "", "text_direction": "LEFT_TO_RIGHT"},
            files={"file": (f"dokument-{number}.html", body.encode("utf-8"), "text/html")},
            headers=self._xsrf(),
        )
        assert answer.status_code == 200, answer.text[:300]
        return answer.json()["created"]

    def highlight(self, doc_id: int, lines: list[str], line: int, start: int, end: int) -> None:
        # UTF-8 byte offsets into the concatenated text nodes (the "\n" between paragraphs is a text node too).
        offset = sum(len(text.encode("utf-8")) + 1 for text in lines[:line])
        first = offset + len(lines[line][:start].encode("utf-8"))
        last = offset + len(lines[line][:end].encode("utf-8"))
        answer = self.session.post(
            f"{self.base}/api/project/{self.project}/document/{doc_id}/highlight/new",
            json={"start_offset": first, "end_offset": last, "tags": [self.tag]},
            headers=self._xsrf(),
        )
        assert answer.status_code == 200, answer.text[:300]

    def export(self) -> list[str]:
        answer = self.session.get(f"{self.base}/project/{self.project}/export/highlights/.csv")
        assert answer.status_code == 200
        return [row["content"] for row in csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")))]


def run(tools, docs, spans, exports: int, block: int, *, analysed: bool = True) -> dict[str, dict[str, list[float]]]:
    """Every step done by every tool, in blocks of ``block`` steps, the tools taking turns to go first.

    With ``analysed``, both databases are analysed after the imports (untimed; see :func:`bench.common.analyze`).
    """
    timings = {tool.name: {"import": [], "highlight": [], "export": []} for tool in tools}
    ids = {tool.name: [] for tool in tools}

    def timed(tool, operation, step, *args):
        began = time.perf_counter()
        result = step(*args)
        timings[tool.name][operation].append((time.perf_counter() - began) * 1000)
        return result

    def in_blocks(items):
        """(tool, block of items): each block done by every tool, the one that went first going last next."""
        for number, first in enumerate(range(0, len(items), block)):
            for tool in tools if number % 2 == 0 else tools[::-1]:
                yield tool, items[first : first + block]

    for tool, documents_ in in_blocks(list(enumerate(docs))):
        for number, lines in documents_:
            ids[tool.name].append((number, timed(tool, "import", tool.import_document, number, lines)))
    ids = {name: [pk for _number, pk in sorted(pairs)] for name, pairs in ids.items()}
    if analysed:
        analyze(OURS_DB, TAGUETTE_DB)
    for tool, spans_ in in_blocks(spans):
        for doc, line, start, end in spans_:
            timed(tool, "highlight", tool.highlight, ids[tool.name][doc], docs[doc], line, start, end)
    for tool in tools:
        tool.export()  # warm-up, untimed: the first request of its kind in the process loads what it needs
    for tool, rounds in in_blocks(range(exports)):
        for _ in rounds:
            tool.exported = timed(tool, "export", tool.export)
    return timings


# One gunicorn process either way. "gthread" is how docs/DEPLOY.md runs it: it keeps the client's connection
# open between requests, as Taguette's Tornado does. "sync" (the earlier rounds) opens a new one per request.
WORKER_CLASSES = {
    "gthread": ["--worker-class", "gthread", "--threads", "4", "--keep-alive", "75"],
    "sync": ["--worker-class", "sync"],
}


@contextmanager
def both_running(port: int, taguette_port: int, worker_class: str = "gthread") -> Iterator[tuple[Ours, Taguette]]:
    """Fresh databases, our gunicorn and Taguette started on loopback, each logged in with its study or project."""
    for taken in (port, taguette_port):
        # Else the health checks below would find whatever answers there (a server left from an earlier run).
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", taken)) == 0:
                raise SystemExit(f"127.0.0.1:{taken} is in use (a server left from an earlier run?): stop it first")
    recreate_database(OURS_DB)
    recreate_database(TAGUETTE_DB)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.loadtest.settings",
        "DATABASE_URL": OURS_DB,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_BROKER_URL": "memory://",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_ALLOWED_HOSTS")})
    ours = Ours(port)
    ours.setup()
    LOG.parent.mkdir(exist_ok=True)
    ACCESS_LOG.write_text("", encoding="utf-8")  # gunicorn appends to it
    processes = [
        subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                *WORKER_CLASSES[worker_class],
                "--log-level",
                "warning",
                "--access-logfile",
                str(ACCESS_LOG),
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(D)s",
            ],
            cwd=ROOT,
            env=env,
        ),  # fmt: skip
    ]
    try:
        processes.append(
            subprocess.Popen(  # noqa: S603 - fixed arguments
                [str(TAGUETTE_PYTHON), str(ROOT / "bench" / "taguette_launcher.py"), str(taguette_port), TAGUETTE_DB],
                cwd=ROOT,
                # Into a file: Taguette logs every request, and an unread pipe would fill up and block it.
                stdout=open(LOG, "w", encoding="utf-8"),  # noqa: SIM115 - closed with the process
                stderr=subprocess.STDOUT,
            )
        )
        token = None
        deadline = time.monotonic() + 60
        while token is None and time.monotonic() < deadline:
            match = re.search(r"token=([0-9a-f]+)", LOG.read_text(encoding="utf-8"))
            token = match.group(1) if match else None
            time.sleep(0.2)
        if token is None:
            raise SystemExit("Taguette printed no login token")
        wait_for(f"http://127.0.0.1:{taguette_port}/health")
        wait_for(f"http://127.0.0.1:{port}/health/ready/")
        ours.login()
        taguette = Taguette(taguette_port, token)
        taguette.setup()
        yield ours, taguette
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def server_times(client: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, list[float]]]:
    """Each timed request's time as its own server logged it (ms), in the order the client made them.

    Read after both servers have stopped, so every line is written. The first export of each tool is the untimed
    warm-up (:func:`run`) and is left out; the counts must then match the client's, request for request.
    """
    logs = {"ours": ACCESS_LOG.read_text(encoding="utf-8"), "Taguette": LOG.read_text(encoding="utf-8")}
    times = {}
    for tool, (line, scale, operations) in SERVER_LOG_LINES.items():
        times[tool] = {operation: [] for operation in operations}
        for match in line.finditer(logs[tool]):
            for operation, path in operations.items():
                if path.search(match.group(2)):
                    times[tool][operation].append(float(match.group(3)) * scale)
        times[tool]["export"] = times[tool]["export"][1:]
        for operation, values in times[tool].items():
            if len(values) != len(client[tool][operation]):
                raise SystemExit(
                    f"{tool}'s log holds {len(values)} timed {operation} requests, the client made "
                    f"{len(client[tool][operation])}"
                )
    return times


def print_table(results: dict[str, dict[str, list[float]]]) -> None:
    print(
        "| Operation | Ours median / p95 (ms) | Taguette median / p95 (ms) | Ours total (s) | Taguette total (s) "
        "| Ratio ours / Taguette (total) | Ratio of the medians |"
    )
    # Both ratios: one stall of the machine (docs/PERFORMANCE.md, machine D) moves a total, not a median.
    print("|---|---:|---:|---:|---:|---:|---:|")
    for operation in ("import", "highlight", "export"):
        a, b = results["ours"][operation], results["Taguette"][operation]
        median_a, median_b = statistics.median(a), statistics.median(b)
        print(
            f"| {operation} | {median_a:.1f} / {percentile(a, 0.95):.1f} | "
            f"{median_b:.1f} / {percentile(b, 0.95):.1f} | {sum(a) / 1000:.2f} | {sum(b) / 1000:.2f} | "
            f"{sum(a) / sum(b):.2f} | {median_a / median_b:.2f} |"
        )


def idle_penalty(ours: Ours, taguette: Taguette, docs, spans, gaps_ms: list[float]) -> None:
    """How a highlight's time depends on how long its server sat idle before it (``--idle 0,2,5,20,50``).

    Both tools import the documents; then, for each gap, 200 rounds of: Taguette's highlight, a pause of
    the gap, our highlight, and (the mirror image) our highlight, the pause, Taguette's highlight. Each
    tool's figure for a gap is the median over the highlights that followed a pause of that length.
    """
    ids = {
        tool.name: [tool.import_document(number, lines) for number, lines in enumerate(docs)]
        for tool in (ours, taguette)
    }
    analyze(OURS_DB, TAGUETTE_DB)
    print("| Idle before the request (ms) | Ours median (ms) | Taguette median (ms) |")
    print("|---:|---:|---:|")
    spans = itertools.cycle(spans)
    for gap in gaps_ms:
        times = {ours.name: [], taguette.name: []}
        for _ in range(200):
            for first, second in ((taguette, ours), (ours, taguette)):
                doc, line, start, end = next(spans)
                first.highlight(ids[first.name][doc], docs[doc], line, start, end)
                time.sleep(gap / 1000)
                began = time.perf_counter()
                second.highlight(ids[second.name][doc], docs[doc], line, start, end)
                times[second.name].append((time.perf_counter() - began) * 1000)
        print(
            f"| {gap:g} | {statistics.median(times[ours.name]):.1f} | {statistics.median(times[taguette.name]):.1f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=80)
    parser.add_argument("--chars", type=int, default=31_000)
    parser.add_argument("--highlights", type=int, default=2_000)
    parser.add_argument("--exports", type=int, default=10, help="timed exports per tool, after one untimed")
    parser.add_argument("--block", type=int, default=25, help="steps each tool does in a row (1: strictly alternating)")
    parser.add_argument(
        "--idle",
        type=lambda text: [float(gap) for gap in text.split(",")],
        help="instead: each tool's highlight after the server sat idle this many ms (e.g. 0,2,5,20,50)",
    )
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="leave both databases without planner statistics after the imports (autovacuum off, as on these machines)",
    )
    parser.add_argument("--timings", type=Path, help="also write every request's time (ms) to this JSON file")
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="run it all this many times, each with both tools started afresh, and sum up the ratios of all runs",
    )
    parser.add_argument(
        "--worker-class",
        choices=sorted(WORKER_CLASSES),
        default="gthread",
        help="our gunicorn's worker: gthread with keep-alive as deployed (default), or sync (earlier rounds)",
    )
    parser.add_argument("--port", type=int, default=8392)
    parser.add_argument("--taguette-port", type=int, default=8393)
    args = parser.parse_args()

    rng = random.Random(20170501)
    docs = documents(args.documents, args.chars, rng)
    spans = []
    for _ in range(args.highlights):
        doc = rng.randrange(len(docs))
        line = rng.randrange(len(docs[doc]))
        text = docs[doc][line]
        start = rng.randrange(0, max(1, len(text) - 25))
        spans.append((doc, line, start, min(len(text), start + rng.randint(20, 200))))

    if args.idle:
        with both_running(args.port, args.taguette_port, args.worker_class) as (ours, taguette):
            idle_penalty(ours, taguette, docs, spans, args.idle)
        return
    runs = []
    for number in range(1, args.runs + 1):
        if args.runs > 1:
            print(f"\n## Run {number} of {args.runs}", flush=True)
        runs.append(one_run(args, docs, spans))
    if args.timings:
        args.timings.write_text(json.dumps(runs if args.runs > 1 else runs[0]), encoding="utf-8")
    if args.runs > 1:
        print_runs(runs)


def one_run(args: argparse.Namespace, docs, spans) -> dict[str, dict[str, dict[str, list[float]]]]:
    """Both tools started afresh on fresh databases, the workload run, both tables printed; every request's time."""
    with both_running(args.port, args.taguette_port, args.worker_class) as (ours, taguette):
        load = os.getloadavg()[0]
        started = time.perf_counter()
        results = run((ours, taguette), docs, spans, args.exports, args.block, analysed=not args.no_analyze)
        print(f"Both: {time.perf_counter() - started:.1f} s", flush=True)
    servers = server_times(results)

    # Taguette trims the whitespace around a highlight's text in its export; compare without it.
    ours_texts = sorted(t.strip() for t in ours.exported)
    taguette_texts = sorted(t.strip() for t in taguette.exported)
    same = ours_texts == taguette_texts
    if not same:
        print("Only ours:", sorted(set(ours_texts) - set(taguette_texts))[:2])
        print("Only Taguette:", sorted(set(taguette_texts) - set(ours_texts))[:2])
    print(
        f"\n{args.documents} documents of ~{args.chars:,} characters, {args.highlights} highlights, "
        f"blocks of {args.block}, our gunicorn {args.worker_class}; "
        f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; "
        f"{'no ANALYZE' if args.no_analyze else 'both databases analysed after the imports'}. "
        f"Exports: {len(ours_texts)} rows ours, {len(taguette_texts)} Taguette, same texts: {same}.\n"
    )
    print("As the client saw them (each request from sending it to having read the whole answer):\n")
    print_table(results)
    print(
        "\nAs each server logged them (from having read the request's headers to having handed over the whole "
        "answer; the same requests):\n"
    )
    print_table(servers)
    return {"client": results, "server": servers}


def print_runs(runs: list[dict[str, dict[str, dict[str, list[float]]]]]) -> None:
    """Per operation, each run's ratios (of the totals, of the medians) and the median of each over the runs."""
    print(f"\n## All {len(runs)} runs: ratio ours / Taguette, of the totals (of the medians)\n")
    print("| Operation | Measured by | " + " | ".join(f"Run {n}" for n in range(1, len(runs) + 1)) + " | Median |")
    print("|---|---|" + "---:|" * (len(runs) + 1))
    for operation in ("import", "highlight", "export"):
        for side in ("client", "server"):
            totals, medians = [], []
            for times in runs:
                a, b = times[side]["ours"][operation], times[side]["Taguette"][operation]
                totals.append(sum(a) / sum(b))
                medians.append(statistics.median(a) / statistics.median(b))
            cells = [f"{total:.2f} ({median:.2f})" for total, median in zip(totals, medians, strict=True)]
            summary = f"{statistics.median(totals):.2f} ({statistics.median(medians):.2f})"
            print(f"| {operation} | {side} | " + " | ".join(cells) + f" | {summary} |")


if __name__ == "__main__":
    main()
