"""Figures the security suite states in its closing summary.

Any test may record one::

    from tests.security.figures import record_figure
    record_figure("withdrawal_census", {"rows": 0, "files": 0})
    record_figure("retention_second_run_changed", 0)

``record_figure`` keeps the last value, ``count_figure`` adds up, ``collect_figure``
gathers distinct items. Under pytest-xdist each worker hands its figures to the
controller through ``workeroutput``; the controller merges them and prints one
summary line. This module is a pytest plugin: ``tests/security/conftest.py``
registers it, and ``tests/conftest.py`` may list it in ``pytest_plugins`` so the
summary also closes a run of the whole suite.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

WORKER_KEY = "security_figures"
NOT_RECORDED = "not recorded in this run"

_values: dict[str, Any] = {}
_counts: dict[str, int] = {}
_collections: dict[str, set[str]] = {}


def record_figure(name: str, value: Any) -> None:
    """Keep ``value`` (JSON-serialisable) under ``name``; a later record replaces it."""
    json.dumps(value)
    _values[name] = value


def count_figure(name: str, amount: int = 1) -> None:
    _counts[name] = _counts.get(name, 0) + amount


def collect_figure(name: str, *items: str) -> None:
    _collections.setdefault(name, set()).update(str(item) for item in items)


def snapshot() -> dict[str, Any]:
    return {
        "values": dict(_values),
        "counts": dict(_counts),
        "collections": {name: sorted(items) for name, items in _collections.items()},
    }


def merge(data: dict[str, Any]) -> None:
    _values.update(data.get("values", {}))
    for name, amount in data.get("counts", {}).items():
        count_figure(name, amount)
    for name, items in data.get("collections", {}).items():
        collect_figure(name, *items)


def summary() -> str:
    """One line: what the suite checked."""
    parts = []
    patterns = _values.get("url_patterns")
    requests = _counts.get("url_requests")
    if patterns and requests:
        methods = len(_collections.get("url_methods", ()))
        personas = len(_collections.get("url_personas", ()))
        parts.append(f"{patterns} URL patterns × {methods} methods × {personas} personas: {requests} requests checked")
    if "csp_pages" in _counts:
        parts.append(f"{_counts['csp_pages']} pages scanned for CSP and inline script/style")
    if "xss_payloads" in _values:
        views = _collections.get("xss_views", set())
        parts.append(f"{_values['xss_payloads']} XSS payloads × {len(views)} views ({', '.join(sorted(views))})")
    # The last two come from tests/cases; a run of tests/security alone says they were not measured.
    census = _values.get("withdrawal_census")
    parts.append(f"withdrawal census: {_describe_census(census) if census is not None else NOT_RECORDED}")
    second_run = _values.get("retention_second_run_changed")
    parts.append(f"retention second run: {f'{second_run} rows changed' if second_run is not None else NOT_RECORDED}")
    known = {"url_patterns", "xss_payloads", "withdrawal_census", "retention_second_run_changed"}
    parts += [f"{name}: {value}" for name, value in sorted(_values.items()) if name not in known]
    return "Security figures: " + "; ".join(parts)


def _describe_census(value: Any) -> str:
    if isinstance(value, dict) and {"rows", "files"} <= value.keys():
        return f"{value['rows']} rows and {value['files']} files left besides the tombstone"
    return str(value)


# --- the plugin ----------------------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_KEY] = json.dumps(snapshot())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    data = getattr(node, "workeroutput", {}).get(WORKER_KEY)
    if data:
        merge(json.loads(data))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if getattr(terminalreporter.config, "workeroutput", None) is not None:
        return
    terminalreporter.write_sep("-", "security figures")
    terminalreporter.write_line(summary())
