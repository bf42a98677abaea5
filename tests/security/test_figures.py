"""The closing summary: figures from every xdist worker merged into one line."""

from __future__ import annotations

import json

import pytest

from tests.security import figures


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(figures, "_values", {})
    monkeypatch.setattr(figures, "_counts", {})
    monkeypatch.setattr(figures, "_collections", {})


def worker(**recorded) -> str:
    """What one worker hands the controller."""
    return json.dumps(
        {
            "values": recorded.get("values", {}),
            "counts": recorded.get("counts", {}),
            "collections": recorded.get("collections", {}),
        }
    )


def test_figures_of_two_workers_add_up(fresh):
    figures.merge(
        json.loads(
            worker(
                values={"url_patterns": 71},
                counts={"url_requests": 300},
                collections={"url_methods": ["get", "post"], "url_personas": ["owner"]},
            )
        )
    )
    figures.merge(
        json.loads(
            worker(
                counts={"url_requests": 200},
                collections={"url_methods": ["put", "patch", "delete", "get"], "url_personas": ["outsider"]},
                values={"withdrawal_census": {"rows": 0, "files": 0}, "retention_second_run_changed": 0},
            )
        )
    )
    line = figures.summary()
    assert "71 URL patterns × 5 methods × 2 personas: 500 requests checked" in line
    assert "withdrawal census: 0 rows and 0 files left besides the tombstone" in line
    assert "retention second run: 0 rows changed" in line


def test_missing_figures_are_said_to_be_missing(fresh):
    line = figures.summary()
    assert line.startswith("Security figures: ")
    assert "withdrawal census: not recorded in this run" in line


def test_a_figure_must_be_json(fresh):
    with pytest.raises(TypeError):
        figures.record_figure("census", {1, 2})
