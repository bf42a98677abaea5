"""Load test: locust against gunicorn and PostgreSQL on loopback, with a realistic mix.

Usage (from the repository root; locust lives in a throwaway virtualenv, never in requirements)::

    python3.11 -m venv bench/.locust-venv && bench/.locust-venv/bin/pip install locust==2.47.0
    .venv/bin/python bench/load.py [--users 50,100,200] [--run-time 60] [--studies 40] [--workers 4 --threads 2]

It drops and re-creates ``thesis_bench9_load`` (the name must start with ``thesis_bench``), builds
``--studies`` typical studies with ``generate_study`` (each owned by its own researcher), starts gunicorn
(``bench/loadtest/settings.py``: production's shape over plain HTTP) on 127.0.0.1, and for each number of
users runs locust headless for ``--run-time`` seconds (``bench/loadtest/locustfile.py``): read the coding view
(weight 4), apply two codes to a new selection (4), retrieve a code (2), open the reports page and request
the method overview (1), with 1–5 s between a user's requests. No Celery worker runs: a report request is
measured up to the job being queued. Afterwards every excerpt the server acknowledged with 200 is looked up
in the database. Prints throughput, p50/p95/p99 and errors per request kind twice: over the whole run (the
ramp with its Argon2 log-ins included) and in the steady state (requests started ``--settle`` seconds after
the last user was spawned, so after every log-in). Server errors are logged with their tracebacks to
``var/bench-load/gunicorn.log``; the first ones are printed with the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/thesis_bench9_load"
PASSWORD = "load-bench-pass-123"
WORK = ROOT / "var" / "bench-load"
LOCUST = ROOT / "bench" / ".locust-venv" / "bin" / "locust"


def build(studies: int) -> dict:
    """Migrate, generate the studies, and return the plan the locustfile reads."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from interviews.models import Code, Source
    from interviews.synthetic import StudySize, generate_study

    call_command("migrate", verbosity=0)
    plan = {"password": PASSWORD, "studies": []}
    started = time.perf_counter()
    for n in range(studies):
        generated = generate_study(
            size=StudySize(), owner_email=f"load-{n:03d}@example.org", owner_password=PASSWORD, seed=n
        )
        plan["studies"].append(
            {
                "id": generated.study.pk,
                "email": generated.owner.email,
                "sources": [
                    {"id": pk, "text": text}
                    for pk, text in Source.objects.filter(study=generated.study).values_list("pk", "text")
                ],
                "codes": list(
                    Code.objects.filter(study=generated.study, parent__isnull=False).values_list("pk", flat=True)
                ),
            }
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    print(f"{studies} typical studies generated in {time.perf_counter() - started:.1f} s", flush=True)
    return plan


def wait_until_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not become ready")


def acknowledged_missing(url: str, acked: list[list[int]]) -> int:
    import psycopg

    with psycopg.connect(url) as connection:
        stored = set(connection.execute('SELECT source_id, start, "end" FROM interviews_excerpt').fetchall())
    return sum(1 for row in acked if tuple(row) not in stored)


def nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] if ordered else math.nan


def steady_rows(samples_path: Path, settle: float) -> tuple[dict, float]:
    """Per request name: count, req/s, p50/p95/p99 and failures of the requests begun ``settle`` s after spawning."""
    if not samples_path.exists():
        return {}, math.nan
    data = json.loads(samples_path.read_text(encoding="utf-8"))
    if not data["samples"] or data["spawned_at"] is None:
        return {}, math.nan
    begin = data["spawned_at"] + settle
    kept = [sample for sample in data["samples"] if sample[0] >= begin]
    if not kept:
        return {}, math.nan
    window = max(sample[0] for sample in kept) - begin
    groups: dict[str, list] = {}
    for sample in kept:
        groups.setdefault(sample[1], []).append(sample)
        groups.setdefault("Aggregated", []).append(sample)
    rows = {}
    for name, group in groups.items():
        times = [sample[2] for sample in group]
        rows[name] = {
            "Request Count": len(group),
            "Requests/s": len(group) / window if window > 0 else math.nan,
            "50%": round(nearest_rank(times, 0.50)),
            "95%": round(nearest_rank(times, 0.95)),
            "99%": round(nearest_rank(times, 0.99)),
            "Failure Count": sum(1 for sample in group if not sample[3]),
        }
    return rows, window


def collect(users: int, args, load: tuple[float, float], elapsed: float, errors_text: str = "") -> dict:
    prefix = WORK / f"u{users}"
    acked_path = WORK / f"acked-{users}.json"
    steady, window = steady_rows(WORK / f"samples-{users}.json", args.settle)
    rows = {row["Name"]: row for row in csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8"))}
    acked = json.loads(acked_path.read_text(encoding="utf-8")) if acked_path.exists() else []
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")))
    return {
        "users": users,
        "rows": rows,
        "steady": steady,
        "window": window,
        "acked": len(acked),
        "missing": acknowledged_missing(args.database_url, acked),
        "load": load,
        "elapsed": elapsed,
        "failures": failures,
        "errors_text": errors_text,
    }


def run_level(users: int, args, env: dict[str, str]) -> dict:
    prefix = WORK / f"u{users}"
    acked_path = WORK / f"acked-{users}.json"
    load_before = os.getloadavg()[0]
    command = [
        str(LOCUST), "-f", str(ROOT / "bench" / "loadtest" / "locustfile.py"), "--headless",
        "-u", str(users), "-r", str(max(1, users // 10)), "--run-time", f"{args.run_time}s",
        "--stop-timeout", "10", "--host", f"http://127.0.0.1:{args.port}", "--csv", str(prefix), "--only-summary",
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - fixed arguments
        command,
        env={**env, "LOAD_ACKED": str(acked_path), "LOAD_SAMPLES": str(WORK / f"samples-{users}.json")},
        capture_output=True,
        text=True,
        timeout=args.run_time + 120,
    )
    elapsed = time.perf_counter() - started
    if not Path(f"{prefix}_stats.csv").exists():
        raise SystemExit(result.stdout[-3000:] + result.stderr[-3000:])
    return collect(users, args, (load_before, os.getloadavg()[0]), elapsed, result.stderr[-1500:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--users", default="50,100,200")
    parser.add_argument("--run-time", type=int, default=60)
    parser.add_argument("--studies", type=int, default=40)
    parser.add_argument("--port", type=int, default=8391)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after spawning before the steady state")
    parser.add_argument("--report-only", action="store_true", help="print the last run's figures from var/bench-load")
    args = parser.parse_args()
    if args.report_only:
        report([collect(int(users), args, (math.nan, math.nan), math.nan) for users in args.users.split(",")], args)
        return
    if not LOCUST.exists():
        raise SystemExit(f"{LOCUST} is missing; see the usage at the top of this file.")

    WORK.mkdir(parents=True, exist_ok=True)
    recreate_database(args.database_url)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.loadtest.settings",
        "DATABASE_URL": args.database_url,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/9"),
        "CELERY_TASK_DEFAULT_QUEUE": "thesis-bench9-load",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_ALLOWED_HOSTS")})
    plan = build(args.studies)
    plan_path = WORK / "plan.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    env["LOAD_PLAN"] = str(plan_path)

    server_log = open(WORK / "gunicorn.log", "w", encoding="utf-8")  # noqa: SIM115 - closed after gunicorn exits
    gunicorn = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            "--timeout",
            "60",
            # Longer than a user's pause (1–5 s): a connection the server closes while the client sends on it
            # again is an error on the client (status 0, connection reset), as behind a proxy whose idle
            # time exceeds gunicorn's (docs/DEPLOY.md).
            "--keep-alive",
            "75",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_ready(args.port)
        results = [run_level(int(users), args, env) for users in args.users.split(",")]
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=60)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
            gunicorn.wait()
        server_log.close()
    report(results, args)


def report(results: list[dict], args) -> None:
    print(
        f"\ngunicorn {args.workers} workers × {args.threads} threads (gthread), {args.studies} studies, "
        f"{args.run_time} s per level, locust on the same 2 cores.\n"
    )
    for title, key in (("Whole run, ramp and log-ins included", "rows"), ("Steady state", "steady")):
        print(f"{title}:\n")
        print("| Users | Request | Requests | Req/s | p50 (ms) | p95 (ms) | p99 (ms) | Errors |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|")
        for result in results:
            names = ("coding view", "apply code", "retrieval", "report list", "request report", "log in", "Aggregated")
            for name in names:
                row = result[key].get(name)
                if row is None:
                    continue
                print(
                    f"| {result['users']} | {name} | {row['Request Count']} | {float(row['Requests/s']):.1f} | "
                    f"{row['50%']} | {row['95%']} | {row['99%']} | {row['Failure Count']} |"
                )
        print()
    for result in results:
        print(f"{result['users']} users: steady state over {result['window']:.0f} s.")
    log = WORK / "gunicorn.log"
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    errors = [block for block in text.split("\n20") if " ERROR " in block[:120] or "Traceback" in block]
    print(f"Server log: {len(errors)} error entries in {log}.")
    for block in errors[:3]:
        print("  " + block[:1500].replace("\n", "\n  "))
    for result in results:
        print(
            f"{result['users']} users: {result['acked']} excerpts acknowledged, {result['missing']} of them missing "
            f"from the database; load average {result['load'][0]:.2f} before, {result['load'][1]:.2f} after."
        )
        for failure in result["failures"][:5]:
            print(f"  {failure['Occurrences']} × {failure['Method']} {failure['Name']}: {failure['Error'][:200]}")


if __name__ == "__main__":
    main()
