"""A row and the rows that hang off it in one statement: the parent's key, a text naming it, and keys of earlier rows."""

from __future__ import annotations

import pytest
from django.db import DataError, connection, transaction

from cases.models import AuditEvent
from cases.rows import (
    PARENT_ID,
    ROWS_IN_VALUES,
    Columns,
    KeyOf,
    LockedKey,
    ParentField,
    ParentIdText,
    StaleRow,
    insert_together,
)
from interviews.models import Source, SpeakerLabel, SpeakerTurn
from tests.factories import StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["postgresql", "elsewhere"])
def vendor(request, monkeypatch):
    """Each test runs the one statement of PostgreSQL and the one ``bulk_create`` per model used elsewhere."""
    if request.param == "elsewhere":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    return request.param


def _source(text: str = "I1: Ja.\nI2: Nei.\nI1: Kanskje.\n") -> Source:
    study = StudyFactory()
    return Source(study=study, title="Kilde", text=text, length=len(text), created_by=UserFactory())


def _rows(labels: list[str], turns: list[tuple[str, int, int]]) -> list:
    rows = [SpeakerLabel(source_id=PARENT_ID, label=label) for label in labels]
    rows += [
        SpeakerTurn(
            source_id=PARENT_ID,
            speaker_id=KeyOf(SpeakerLabel, "label", label),
            start=start,
            end=end,
            label_end=start + 3,
        )
        for label, start, end in turns
    ]
    return rows


@pytest.mark.parametrize("count", [1, 3, ROWS_IN_VALUES + 20])
def test_rows_point_at_the_parent_and_at_earlier_rows_by_a_field(vendor, count, django_assert_num_queries):
    """Written as VALUES (a few rows) and from arrays (many: here 12 labels and 30 turns)."""
    source = _source()
    names = [f"I{n}" for n in range(min(count, ROWS_IN_VALUES + 2))]
    turns = [(names[n % len(names)], 10 * n, 10 * n + 10) for n in range(count)]
    event = AuditEvent(study=source.study, action="source.created", target_type="interviews.source", data={"n": 1})
    event.target_id, event.target_label = PARENT_ID, ParentIdText("source ")
    with django_assert_num_queries(1 if vendor == "postgresql" else 1 + 3) as captured:
        insert_together(source, [*_rows(names, turns), event])
    if vendor == "postgresql":
        assert ("unnest(" in captured.captured_queries[0]["sql"]) == (count > ROWS_IN_VALUES)
    assert source.pk is not None and not source._state.adding
    written = list(
        SpeakerTurn.objects.filter(source=source).order_by("start").values_list("speaker__label", "start", "end")
    )
    assert written == turns
    assert sorted(SpeakerLabel.objects.filter(source=source).values_list("label", flat=True)) == sorted(names)
    event = AuditEvent.objects.get(target_type="interviews.source", target_id=source.pk)
    assert (event.target_label, event.data) == (f"source {source.pk}", {"n": 1})


@pytest.mark.parametrize(
    "starts",
    [
        [40_000 * n for n in range(ROWS_IN_VALUES + 5)],  # past a smallint, up to 560,000
        [2_000_000_000 - n for n in range(ROWS_IN_VALUES + 5)],  # near the top of an integer column
        [str(10 * n) for n in range(ROWS_IN_VALUES + 5)],  # not ints: converted by the field, as bulk_create does
    ],
    ids=["past-smallint", "near-int-max", "strings"],
)
def test_integer_columns_from_arrays_keep_their_values(vendor, starts):
    """The integers of an array column take a shortcut past the field's conversion; what is written stays the same."""
    source = _source()
    rows = _rows(["I1"], [])
    rows += [
        SpeakerTurn(source_id=PARENT_ID, speaker_id=KeyOf(SpeakerLabel, "label", "I1"), start=s, end=s, label_end=s)
        for s in starts
    ]
    insert_together(source, rows)
    found = SpeakerTurn.objects.filter(source=source).order_by("start").values_list("start", "end", "label_end")
    assert list(found) == sorted((int(s), int(s), int(s)) for s in starts)


def test_an_integer_past_its_column_is_refused_and_nothing_is_written(vendor):
    source = _source()
    rows = _rows(["I1"], [])
    starts = [3_000_000_000 + n for n in range(ROWS_IN_VALUES + 5)]  # past an integer column
    rows += [
        SpeakerTurn(source_id=PARENT_ID, speaker_id=KeyOf(SpeakerLabel, "label", "I1"), start=s, end=s, label_end=s)
        for s in starts
    ]
    with pytest.raises(DataError), transaction.atomic():
        insert_together(source, rows)
    assert not SpeakerTurn.objects.exists()
    assert not SpeakerLabel.objects.exists()


def _turn_columns(turns: list[tuple[str, int, int]]) -> Columns:
    """The turns of :func:`_rows`, column by column."""
    return Columns(
        SpeakerTurn,
        {
            "source_id": PARENT_ID,
            "speaker_id": [KeyOf(SpeakerLabel, "label", label) for label, _start, _end in turns],
            "start": [start for _label, start, _end in turns],
            "end": [end for _label, _start, end in turns],
            "label_end": [start + 3 for _label, start, _end in turns],
        },
    )


@pytest.mark.parametrize("count", [0, 3, ROWS_IN_VALUES + 20])
def test_columns_write_the_same_rows_with_the_same_statement_as_instances(vendor, count):
    names = ["I1", "I2", "Moderator"]
    turns = [(names[n % 3], 10 * n, 10 * n + 10) for n in range(count)]
    written, statements = [], []
    for rows in (_rows(names, turns), [*_rows(names, []), _turn_columns(turns)]):
        source = _source()
        executed = []
        with connection.execute_wrapper(lambda execute, sql, *args: executed.append(sql) or execute(sql, *args)):
            insert_together(source, rows)
        statements.append(executed)  # the SQL as sent, its values apart
        written.append(
            list(SpeakerTurn.objects.filter(source=source).values_list("speaker__label", "start", "end", "label_end"))
        )
    assert sorted(written[0]) == sorted(written[1]) == sorted((label, s, e, s + 3) for label, s, e in turns)
    if vendor == "postgresql":
        assert statements[0] == statements[1]


def test_columns_leaving_a_field_to_its_default_are_written_with_it(vendor):
    source = _source()
    labels = Columns(SpeakerLabel, {"source_id": PARENT_ID, "label": [f"I{n}" for n in range(ROWS_IN_VALUES + 3)]})
    insert_together(source, [labels])
    roles = set(SpeakerLabel.objects.filter(source=source).values_list("role", flat=True))
    assert roles == {SpeakerLabel.Role.UNIDENTIFIED}
    assert SpeakerLabel.objects.filter(source=source).count() == ROWS_IN_VALUES + 3


def test_columns_and_instances_of_one_model_are_written_together(vendor):
    source = _source()
    early = [SpeakerLabel(source_id=PARENT_ID, label="Moderator")]
    many = Columns(SpeakerLabel, {"source_id": PARENT_ID, "label": [f"I{n}" for n in range(ROWS_IN_VALUES + 3)]})
    late = SpeakerLabel(source_id=PARENT_ID, label="Ukjent")
    insert_together(source, [*early, many, late, *_rows([], [("I1", 0, 5)]), _turn_columns([("Ukjent", 9, 20)])])
    assert SpeakerLabel.objects.filter(source=source).count() == ROWS_IN_VALUES + 5
    turns = SpeakerTurn.objects.filter(source=source).order_by("start").values_list("speaker__label", "start")
    assert list(turns) == [("I1", 0), ("Ukjent", 9)]


def test_a_column_mixing_values_and_stand_ins_is_written_too(vendor):
    """Too many rows for VALUES, but not alike enough for arrays: VALUES all the same."""
    source = _source()
    other = _source()
    other.save()
    labels = [SpeakerLabel(source_id=PARENT_ID, label=f"I{n}") for n in range(ROWS_IN_VALUES)]
    labels.append(SpeakerLabel(source_id=other.pk, label="Moderator"))
    insert_together(source, labels)
    assert SpeakerLabel.objects.filter(source=source).count() == ROWS_IN_VALUES
    assert list(SpeakerLabel.objects.filter(source=other).values_list("label", flat=True)) == ["Moderator"]


def test_a_key_of_rows_not_given_before_is_refused(vendor):
    turns = _rows([], [("I1", 0, 8)]) + _rows(["I1"], [])
    with pytest.raises(ValueError, match="before"), transaction.atomic():
        insert_together(_source(), turns)


def test_a_value_too_long_for_its_column_is_refused_not_cut(vendor):
    # Both ways refuse it on PostgreSQL, whose varchar has a length (SQLite's has none: the suite runs on PostgreSQL).
    labels = [SpeakerLabel(source_id=PARENT_ID, label=f"I{n}") for n in range(ROWS_IN_VALUES)]
    labels.append(SpeakerLabel(source_id=PARENT_ID, label="x" * 61))  # from arrays, cast to varchar, not varchar(60)
    with pytest.raises(DataError), transaction.atomic():
        insert_together(_source(), labels)


def _excerpt_on(source: Source, unchanged: tuple) -> tuple:
    from interviews.models import Code, Coding, Excerpt

    code = Code.objects.create(study=source.study, name="Tillit", created_by=source.created_by)
    excerpt = Excerpt(
        study_id=source.study_id,
        source_id=LockedKey(Source, source.pk, unchanged),
        start=0,
        end=3,
        text=source.text[:3],
        created_by=source.created_by,
    )
    return excerpt, [Coding(excerpt_id=PARENT_ID, code=code, created_by=source.created_by)]


def test_a_locked_key_is_the_row_s_key_while_the_row_is_as_it_was_read(vendor):
    source = _source()
    source.save()
    excerpt, codings = _excerpt_on(source, (("updated_at", source.updated_at), ("is_current", True)))
    with transaction.atomic():
        insert_together(excerpt, codings)
    excerpt.refresh_from_db()
    assert excerpt.source_id == source.pk and excerpt.codings.count() == 1


def test_a_locked_key_of_a_changed_row_writes_nothing_and_says_so(vendor):
    from interviews.models import Coding, Excerpt

    source = _source()
    source.save()
    read = source.updated_at
    Source.objects.filter(pk=source.pk).update(title="Endret")  # auto_now is not touched by update()
    Source.objects.filter(pk=source.pk).update(is_current=False)
    excerpt, codings = _excerpt_on(source, (("updated_at", read), ("is_current", True)))
    with pytest.raises(StaleRow), transaction.atomic():
        insert_together(excerpt, codings)
    assert not Excerpt.objects.exists() and not Coding.objects.exists()


def test_a_null_refused_elsewhere_is_not_taken_for_a_changed_row():
    """Only a NOT NULL column holding a LockedKey means that its row changed; other errors are the caller's."""
    from django.db import IntegrityError

    source = _source()
    source.save()
    excerpt, codings = _excerpt_on(source, (("is_current", True),))
    excerpt.text = None
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        insert_together(excerpt, codings)
    assert not isinstance(raised.value, StaleRow)


def test_a_read_comes_back_from_the_same_statement_as_the_database_was_before_the_write(
    vendor, django_assert_num_queries
):
    """``read=``: the rows of a precompiled query, without a round trip of their own."""
    from cases.precompiled import Precompiled

    source = _source()
    source.save()
    earlier = [SpeakerLabel.objects.create(source=source, label=label) for label in ("I1", "I2")]
    labels = Precompiled(
        lambda source: SpeakerLabel.objects.filter(source_id=source).order_by("id").values_list("id", "label", "role"),
        "source",
    )
    new = SpeakerLabel(source_id=source.pk, label="I3")
    with django_assert_num_queries(1 if vendor == "postgresql" else 2):
        found = insert_together(new, read=(labels, {"source": source.pk}))
    # The rows as they were before the write: not the one written.
    assert found == [(label.pk, label.label, SpeakerLabel.Role.UNIDENTIFIED) for label in earlier]
    assert new.pk is not None and SpeakerLabel.objects.filter(source=source).count() == 3


def test_a_read_that_finds_nothing_gives_no_rows(vendor):
    from cases.precompiled import Precompiled

    source = _source()
    source.save()
    labels = Precompiled(lambda source: SpeakerLabel.objects.filter(source_id=source).values_list("id"), "source")
    assert insert_together(SpeakerLabel(source_id=source.pk, label="I1"), read=(labels, {"source": source.pk})) == []
    assert insert_together(SpeakerLabel(source_id=source.pk, label="I2")) == []


def test_a_parent_field_is_the_first_row_s_value_as_written(vendor, django_assert_num_queries):
    """Copies of the first row's fields, as the database got them: its automatic timestamp, a key locked for it."""
    from django.utils import timezone

    from interviews.models import Excerpt

    source = _source()
    source.save()
    excerpt, codings = _excerpt_on(source, (("is_current", True),))
    history = Excerpt.history.model(
        history_type="+",
        history_date=timezone.now(),
        **{field.attname: ParentField(field.attname) for field in Excerpt.history.model.tracked_fields},
    )
    with django_assert_num_queries(1 if vendor == "postgresql" else 1 + 1 + 2):
        insert_together(excerpt, [history, *codings])
    written = Excerpt.objects.get()
    copied = Excerpt.history.get()
    assert written.pk == excerpt.pk and copied.id == written.pk
    assert (copied.source_id, copied.start, copied.end) == (source.pk, 0, 3)
    assert copied.created_at == written.created_at and copied.created_by_id == source.created_by_id
