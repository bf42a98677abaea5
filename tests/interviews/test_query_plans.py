"""The coding view's hot queries read the rows of the source at hand, however large the installation.

A department server holds the sources of hundreds of studies. A query that joins a table by hashing all of it
costs more with every study added, although no page of one study shows more; these tests build a server with
thousands of other speaker labels, gather statistics as autovacuum would, and read PostgreSQL's plans.
"""

from __future__ import annotations

import pytest
from django.db import connections

from interviews.models import Source, SpeakerLabel, SpeakerTurn
from interviews.services.excerpts import _TURNS_WITH_CONSENT
from tests.conftest import require_service
from tests.factories import StudyFactory
from tests.interviews.coding_helpers import make_source

pytestmark = pytest.mark.django_db

OTHER_SOURCES = 300
LABELS_EACH = 8
TURNS_EACH = 60


@pytest.fixture
def crowded_source():
    """A transcript of 300 turns beside 300 other sources (2,400 labels, 18,000 turns), with fresh statistics.

    Without the label's source in the join, PostgreSQL hashes all 2,400 labels for either query (checked).
    """
    connection = connections["default"]
    require_service(connection.vendor == "postgresql", "PostgreSQL")  # the plans are PostgreSQL's
    study = StudyFactory()
    text = "".join(
        f"I{turn % 6 + 1}: Vi snakket om tillit og om hvordan det gikk i gruppa den dagen.\n" for turn in range(300)
    )
    source = make_source(study, text)
    others = Source.objects.bulk_create(
        Source(study=study, title=f"Annen kilde {n}", text="I1: ja\n", length=7, created_by=study.created_by)
        for n in range(OTHER_SOURCES)
    )
    labels = SpeakerLabel.objects.bulk_create(
        SpeakerLabel(source=other, label=f"I{n}") for other in others for n in range(LABELS_EACH)
    )
    # Each with its turns, as a transcript has: the statistics then expect a stretch to hold many of them.
    SpeakerTurn.objects.bulk_create(
        (
            SpeakerTurn(source_id=label.source_id, speaker=label, start=start, end=start + 300, label_end=start + 4)
            for label in labels
            for start in range(int(label.label[1:]) * 300, TURNS_EACH * 300, LABELS_EACH * 300)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        for table in ("interviews_source", "interviews_speakerlabel", "interviews_speakerturn"):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 - fixed table names
    return source


def _plan(sql: str, params) -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_applying_a_code_reads_only_the_sources_labels(crowded_source):
    middle = len(crowded_source.text) // 2
    sql, params = _TURNS_WITH_CONSENT.statement(
        connections["default"], source=crowded_source.pk, low=middle, high=middle + 400
    )

    plan = _plan(sql, params)

    assert "interviews_speakerlabel" in plan
    assert "Seq Scan on interviews_speakerlabel" not in plan, plan


def test_the_coding_view_reads_only_the_sources_labels(crowded_source):
    turns = (
        SpeakerTurn.objects.overlapping(crowded_source, 0, 30_000)
        .select_related("speaker__informant")
        .order_by("start")
    )

    plan = turns.explain()

    assert "Seq Scan on interviews_speakerlabel" not in plan, plan
    assert "interviews_source " not in plan  # ordered by start: no join to the source for its title
    assert len(list(turns)) == 300


def test_overlapping_keeps_the_turns_that_overlap_the_stretch():
    study = StudyFactory()
    source = make_source(study, "I1: Ja.\nI2: Nei, ikke helt.\nI1: Kanskje.\nI2: Godt.\n")
    make_source(study, "I1: En annen kilde.\n", title="Annen")
    first, second, third, _fourth = SpeakerTurn.objects.of_source(source).order_by("start")

    found = SpeakerTurn.objects.overlapping(source, first.end - 1, second.end + 1)

    assert [turn.pk for turn in found.order_by("start")] == [first.pk, second.pk, third.pk]
    assert not SpeakerTurn.objects.overlapping(source, first.end, first.end)  # an empty stretch
    assert SpeakerTurn.objects.of_source(source).count() == 4
