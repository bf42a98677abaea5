"""What every benchmark script needs: its own throw-away database, and the nearest-rank percentile."""

from __future__ import annotations

import math
from urllib.parse import urlparse

PREFIX = "thesis_bench"


def dedicated_url(url: str, suffix: str) -> str:
    """``url`` with its database name ending in ``suffix`` (``thesis_bench`` when the URL names none)."""
    parts = urlparse(url)
    name = parts.path.lstrip("/") or PREFIX
    if not name.endswith(suffix):
        name += suffix
    return parts._replace(path=f"/{name}").geturl()


def recreate_database(url: str, *, reuse: bool = False) -> bool:
    """Drop and create the database ``url`` names; with ``reuse``, keep it when it exists and return True.

    Refuses any database whose name does not start with ``thesis_bench``: these scripts drop what they are given.
    """
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name.startswith(PREFIX):
        raise SystemExit(f"Refusing to use {name!r}: the benchmark database name must start with {PREFIX}.")
    admin = parts._replace(scheme="postgres", path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            return True
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return False


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least ``fraction`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[math.ceil(fraction * len(ordered)) - 1]


def analyze(*urls: str) -> None:
    """``ANALYZE`` each database ``urls`` name: the planner's statistics, as autovacuum keeps them on a server.

    The PostgreSQL of these machines runs with autovacuum off (``conf.d/90-ci.conf``), so a table filled by a
    benchmark has none until someone asks: the planner then guesses its size from its pages and may pick a
    sequential scan where a server with autovacuum on would look up a few rows by index.
    """
    import psycopg

    for url in urls:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("ANALYZE")
