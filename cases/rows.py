"""Writing a row and the rows that hang off it in one round trip."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, models, router, transaction

from .precompiled import Precompiled, prepared


class _ParentId:
    """Stands for the primary key of the first row given to :func:`insert_together`, not known until it is written."""

    def __repr__(self) -> str:
        return "PARENT_ID"


PARENT_ID = _ParentId()


@dataclass(frozen=True)
class ParentIdText:
    """Stands for ``prefix`` followed by the first row's new key: a text that names the row (an audit row's label)."""

    prefix: str


@dataclass(frozen=True)
class ParentField:
    """Stands for a field of the first row given to :func:`insert_together` as it was written (a history row's copy).

    ``name`` is the field's attribute name (``created_by_id``).
    """

    name: str


@dataclass(frozen=True)
class KeyOf:
    """Stands for the key of a row written earlier in the same :func:`insert_together`, found by one of its fields.

    The row of ``model`` whose ``field`` (an attribute name) is ``value``, e.g. a speaker turn's
    speaker among the new speaker labels, by the label's text. The rows of ``model`` come before
    the rows that point at them, and ``value`` picks out one of them.
    """

    model: type[models.Model]
    field: str
    value: Any


@dataclass(frozen=True)
class LockedKey:
    """Stands for the key ``pk`` of an existing row of ``model``, locked by the statement if it is as it was read.

    ``unchanged`` pairs field names (attribute names) with the values the caller read; the row
    must still hold them. The statement takes the row's lock (``FOR NO KEY UPDATE``: writers of the
    row wait, readers and rows pointing at it do not) and, under READ COMMITTED, checks ``unchanged``
    against the row's latest version. If the row changed or went, the stand-in is NULL, which the
    NOT NULL column it stands in refuses: the statement writes nothing and :class:`StaleRow` is raised.
    So a caller can check what it read outside a transaction and write only if it still holds,
    without holding a lock (or a transaction) for the time in between.
    """

    model: type[models.Model]
    pk: Any
    unchanged: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Columns:
    """Rows of ``model`` given column by column, for many rows alike (a transcript's speaker turns): no instance each.

    ``values`` maps attribute names (``speaker_id``) to a list with one value per row, all lists as long, or to
    one value for every row (a stand-in such as :data:`PARENT_ID`, or a constant). :func:`insert_together` writes
    them as it writes instances of ``model``; when the fields named are not all it would write (some take their
    defaults), when the rows are few, or elsewhere than on PostgreSQL, it makes instances of them first.
    """

    model: type[models.Model]
    values: dict[str, Any]

    def __len__(self) -> int:
        return next((len(value) for value in self.values.values() if isinstance(value, list)), 1)

    def column(self, name: str) -> list:
        value = self.values[name]
        return value if isinstance(value, list) else [value] * len(self)

    def instances(self) -> list[models.Model]:
        columns = {name: self.column(name) for name in self.values}
        return [self.model(**{name: column[index] for name, column in columns.items()}) for index in range(len(self))]


class StaleRow(IntegrityError):
    """The row a :class:`LockedKey` stands for changed or went after it was read; nothing was written."""


_STAND_INS = (_ParentId, ParentIdText, ParentField, KeyOf, LockedKey)
# A model's rows up to this many are written as VALUES, more from arrays (see _Together._insert_from_arrays).
ROWS_IN_VALUES = 10
_TYPE_MODIFIER = re.compile(r"\(.*?\)")


def insert_together(
    first: models.Model,
    rows: Iterable[models.Model | Columns] = (),
    *,
    read: tuple[Precompiled, dict[str, Any]] | None = None,
) -> list[tuple]:
    """Insert ``first`` and ``rows``, whose fields may hold stand-ins for keys not known until then.

    :data:`PARENT_ID` becomes ``first``'s new key, :class:`ParentIdText` a text ending in it,
    :class:`ParentField` one of ``first``'s fields as written (in ``rows`` only), :class:`KeyOf` the key
    of one of the ``rows`` of a model given earlier, :class:`LockedKey` the key of an existing row locked
    if it is unchanged (else :class:`StaleRow`, nothing written). ``rows`` is read after ``first``'s
    automatic fields (``auto_now``…) are filled, so a generator can copy them (a history row). Among
    them, :class:`Columns` gives many rows of a model without an instance each.

    On PostgreSQL this is one statement, so one transaction even outside an atomic block:
    ``first``'s INSERT ... RETURNING and one multi-row INSERT per model of ``rows`` (in the order
    the models first appear) as data-modifying CTEs that read the new keys from the earlier ones
    (foreign keys are deferred to the commit, so the order does not matter to them).
    Elsewhere ``first`` is inserted, then one ``bulk_create`` per model, in one transaction.
    Like ``bulk_create``: ``first`` gets its key and auto fields are filled, the other
    rows' keys stay unset, no signals are sent (the caller writes what receivers would,
    e.g. history rows) and no validation runs.

    The statement is prepared once per connection and shape (``cases.precompiled.prepared``): applying
    a code, on the hot path, writes few shapes. A model's rows are written as ``VALUES``, or, when there
    are more than :data:`ROWS_IN_VALUES` of them, from one array per column, so that the statement does not
    grow with their number (the turns of a transcript: one shape, not one per number of turns).

    ``read``, a precompiled query and its values, is run by the same statement and its rows returned
    (else ``[]``): a read the caller needs next, without a round trip of its own. It sees the database
    as it was just before the rows were written, not the rows themselves (on PostgreSQL the
    statement's snapshot; elsewhere it runs first, in the same transaction).
    """
    using = router.db_for_write(type(first))
    connection = connections[using]
    if connection.vendor != "postgresql":
        with transaction.atomic(using=using, savepoint=False):
            found = read[0].rows(model=type(first), **read[1]) if read else []
            _insert_one_model_at_a_time(first, rows, using)
        return found
    statement = _Together(connection, first)
    for model, group in _by_model(list(rows)).items():
        statement.add(model, group)
    sql, params = statement.sql(None if read is None else read[0].statement(connection, **read[1]))
    try:
        with connection.cursor() as cursor, prepared(connection):
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
    except IntegrityError as error:
        if statement.stale(error):
            raise StaleRow(*error.args) from error
        raise
    first.pk = fetched[0][0]
    first._state.adding = False
    first._state.db = using
    if read is None:
        return []
    # Each row: the new key, whether the read found a row (a LEFT JOIN gives one row even when it found none),
    # then the read's columns.
    return read[0].converted(connection, [row[2:] for row in fetched if row[1]])


class _Together:
    """The statement of :func:`insert_together` on PostgreSQL: ``first``'s CTE, then one CTE per model of the rows.

    Only quoted table and column names from the models go into the SQL text; every value is a parameter.
    """

    def __init__(self, connection, first: models.Model):
        self.connection = connection
        self.quote = quote = connection.ops.quote_name
        self.first_model = type(first)
        self.pk_column = quote(first._meta.pk.column)
        self.parent_key = f"(SELECT {self.pk_column} FROM parent)"  # noqa: S608
        self.names: dict[type[models.Model], str] = {}  # the models written so far and their CTEs
        # The columns later CTEs read, in order; the first row's by the model None.
        self.returning: dict[type[models.Model] | None, dict[str, None]] = {None: {self.pk_column: None}}
        self.ctes: list[tuple[str, str, type[models.Model] | None]] = []
        self.locks: dict[LockedKey, tuple[str, str, list]] = {}  # each row locked: its CTE, SQL and parameters
        self.groups: list[list[models.Model]] = [[first]]  # what is written, to tell a refused LockedKey
        sql, self.params = _insert_sql([first], connection, self._stand_in)
        self.ctes.append(("parent", sql, None))

    def add(self, model: type[models.Model], group: list[models.Model] | Columns) -> None:
        found = self._insert_from_arrays(group) if len(group) > ROWS_IN_VALUES else None
        if found is None and isinstance(group, Columns):
            group = group.instances()
        sql, params = found or _insert_sql(group, self.connection, self._stand_in)
        self.names[model] = name = f"rows_{len(self.names)}"
        self.ctes.append((name, sql, model))
        self.params.extend(params)
        self.groups.append(group)

    def sql(self, read: tuple[str, list] | None = None) -> tuple[str, list]:
        """The statement, returning the new key; with ``read`` (SQL and parameters), a row of its rows each."""
        ctes, params = [], []
        for name, sql, lock_params in self.locks.values():
            ctes.append(f"{name} AS ({sql})")
            params.extend(lock_params)
        for name, sql, model in self.ctes:
            if model in self.returning:  # always the first row's (None): its key
                sql = f"{sql} RETURNING {', '.join(self.returning[model])}"
            ctes.append(f"{name} AS ({sql})")
        params += self.params
        if read is None:
            return f"WITH {', '.join(ctes)} SELECT {self.pk_column} FROM parent", params  # noqa: S608
        read_sql, read_params = read
        return (
            f"WITH {', '.join(ctes)} SELECT parent.{self.pk_column}, found.* FROM parent "  # noqa: S608
            f"LEFT JOIN (SELECT true, read_rows.* FROM ({read_sql}) AS read_rows) AS found ON true",
            params + list(read_params),
        )

    def stale(self, error: IntegrityError) -> bool:
        """Whether ``error`` is a NOT NULL column refusing a :class:`LockedKey` (its row changed or went)."""
        diag = getattr(error.__cause__, "diag", None)
        if not self.locks or getattr(diag, "sqlstate", None) != "23502":
            return False
        refused = (getattr(diag, "table_name", None), getattr(diag, "column_name", None))
        return any(
            (row._meta.db_table, field.column) == refused and isinstance(getattr(row, field.attname), LockedKey)
            for group in self.groups
            for row, field in _stand_in_fields(group.instances() if isinstance(group, Columns) else group)
        )

    def _lock(self, value: LockedKey) -> str:
        """The SQL of a :class:`LockedKey`: the key read from a CTE that locks the row if it is unchanged."""
        if value not in self.locks:
            opts, quote = value.model._meta, self.quote
            conditions, params = (
                [f"{quote(opts.pk.column)} = %s"],
                [opts.pk.get_db_prep_value(value.pk, self.connection)],
            )
            for name, expected in value.unchanged:
                field = opts.get_field(name)
                conditions.append(f"{quote(field.column)} = %s")
                params.append(field.get_db_prep_value(expected, self.connection))
            sql = (
                f"SELECT {quote(opts.pk.column)} FROM {quote(opts.db_table)} "  # noqa: S608
                f"WHERE {' AND '.join(conditions)} FOR NO KEY UPDATE"
            )
            self.locks[value] = (f"locked_{len(self.locks)}", sql, params)
        return f"(SELECT {self.quote(value.model._meta.pk.column)} FROM {self.locks[value][0]})"  # noqa: S608

    def _stand_in(self, value: Any) -> tuple[str, list]:
        """The SQL and parameters of a stand-in in a row of ``VALUES``."""
        if value is PARENT_ID:
            return self.parent_key, []
        if isinstance(value, ParentIdText):
            return f"(CAST(%s AS text) || {self.parent_key})", [value.prefix]
        if isinstance(value, ParentField):
            column = self.quote(self.first_model._meta.get_field(value.name).column)
            self.returning[None][column] = None
            return f"(SELECT {column} FROM parent)", []  # noqa: S608
        if isinstance(value, LockedKey):
            return self._lock(value), []
        field, sql = self._key_of(value, "%s")
        return sql, [field.get_db_prep_save(value.value, connection=self.connection)]

    def _key_of(self, value: KeyOf, value_sql: str) -> tuple[models.Field, str]:
        """The field a :class:`KeyOf` names and the SQL that finds the key of the row whose field is ``value_sql``."""
        if value.model not in self.names:
            raise ValueError(f"{value!r}: give the rows of {value.model.__name__} before the rows pointing at them")
        field = value.model._meta.get_field(value.field)
        key, column = self.quote(value.model._meta.pk.column), self.quote(field.column)
        self.returning.setdefault(value.model, {key: None})[column] = None
        return field, f"(SELECT {key} FROM {self.names[value.model]} WHERE {column} = {value_sql})"  # noqa: S608

    def _insert_from_arrays(self, group: list[models.Model] | Columns) -> tuple[str, list] | None:
        """``INSERT INTO table (columns) SELECT ... FROM unnest(%s, ...)``: one array parameter per column.

        However many rows, the statement is as long, PostgreSQL plans it as fast, and psycopg
        converts its text once (the ``VALUES`` of 56 speaker turns with their stand-ins made a
        statement of 6,000 characters that took 5 ms to plan and run; from arrays, 2.5 ms). For
        a few rows ``VALUES`` is quicker (an excerpt with 3 codings: 2.5 against 2.85 ms).
        A column of stand-ins is one expression: the same :data:`PARENT_ID` or :class:`ParentIdText`
        in every row, or :class:`KeyOf` the same field with one value per row. None if a column
        mixes values and stand-ins or stand-ins of different kinds, or holds arrays itself (``unnest``
        would flatten them), or if :class:`Columns` leave a field to its default: the caller writes ``VALUES`` instead.
        """
        connection, quote = self.connection, self.quote
        fields = _fields_to_insert(group)
        if isinstance(group, Columns) and any(field.attname not in group.values for field in fields):
            return None
        selected, arrays, select_params, array_params = [], [], [], []
        for field in fields:
            if isinstance(group, Columns):
                values = group.column(field.attname)
            else:
                values = [field.pre_save(row, add=True) for row in group]
            first = values[0]
            if isinstance(first, KeyOf):
                if any(
                    not isinstance(value, KeyOf) or (value.model, value.field) != (first.model, first.field)
                    for value in values
                ):
                    return None
                column = f"u.c{len(arrays)}"
                target, sql = self._key_of(first, column)
                values = [value.value for value in values]
            elif isinstance(first, _STAND_INS):
                if any(value != first for value in values):
                    return None
                sql, params = self._stand_in(first)
                selected.append(sql)
                select_params.extend(params)
                continue
            elif any(isinstance(value, _STAND_INS) for value in values):
                return None
            else:
                column = f"u.c{len(arrays)}"
                target, sql = field, column
            db_type = target.db_type(connection)
            if db_type is None or db_type.endswith("]"):
                return None
            selected.append(sql)
            # The array's elements are cast to the column's type without its length ("varchar", not
            # "varchar(60)"): an explicit cast would cut a long text where the INSERT refuses it.
            arrays.append(f"CAST(%s AS {_TYPE_MODIFIER.sub('', db_type)}[])")
            # The ints of an integer field go as they are: psycopg sends a list of ints as an array of the
            # smallest integer type that holds them all, and the CAST gives it the column's type (or refuses
            # a value out of its range). Django's chain of calls per value would wrap each in psycopg's type.
            if target.get_internal_type() in connection.ops.integerfield_type_map and all(
                type(value) is int for value in values
            ):
                array_params.append(values)
            else:
                array_params.append([target.get_db_prep_save(value, connection=connection) for value in values])
        if not arrays:
            return None
        columns = ", ".join(quote(field.column) for field in fields)
        names = ", ".join(f"c{index}" for index in range(len(arrays)))
        sql = (
            f"INSERT INTO {quote(_model_of(group)._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) AS u({names})"
        )
        return sql, select_params + array_params


def _insert_one_model_at_a_time(first: models.Model, rows: Iterable[models.Model], using: str) -> None:
    """:func:`insert_together` elsewhere than on PostgreSQL: ``first``, then a ``bulk_create`` per model."""

    written: dict[type[models.Model], list[models.Model]] = {}

    def resolved(value: Any) -> Any:
        if value is PARENT_ID:
            return first.pk
        if isinstance(value, ParentIdText):
            return f"{value.prefix}{first.pk}"
        if isinstance(value, ParentField):
            return getattr(first, value.name)
        if isinstance(value, LockedKey):
            rows = value.model._base_manager.using(using).select_for_update(no_key=True)
            found = rows.filter(pk=value.pk, **dict(value.unchanged)).values_list("pk", flat=True).first()
            if found is None:
                raise StaleRow(f"{value.model.__name__} {value.pk} changed or was deleted since it was read")
            return found
        found = [row.pk for row in written.get(value.model, ()) if getattr(row, value.field) == value.value]
        if len(found) != 1:
            raise ValueError(f"{value!r}: {len(found)} rows of {value.model.__name__} written before match")
        return found[0]

    for model, group in [(type(first), [first]), *_by_model(list(rows)).items()]:
        group = group.instances() if isinstance(group, Columns) else group
        for row, field in _stand_in_fields(group):
            setattr(row, field.attname, resolved(getattr(row, field.attname)))
        model._base_manager.using(using).bulk_create(group)
        written[model] = group


def _stand_in_fields(group: list[models.Model]) -> Iterator[tuple[models.Model, models.Field]]:
    for row in group:
        for field in row._meta.concrete_fields:
            if isinstance(getattr(row, field.attname), _STAND_INS):
                yield row, field


def _by_model(rows: list[models.Model | Columns]) -> dict[type[models.Model], list[models.Model] | Columns]:
    """The rows by model, in the order the models first appear; :class:`Columns` kept if all there is of its model."""
    groups: dict[type[models.Model], list[models.Model] | Columns] = {}
    for row in rows:
        model = _model_of(row)
        if isinstance(row, Columns) and not len(row):
            continue
        if model not in groups and isinstance(row, Columns):
            groups[model] = row
            continue
        group = groups.get(model, [])
        group = group.instances() if isinstance(group, Columns) else group
        group.extend(row.instances() if isinstance(row, Columns) else [row])
        groups[model] = group
    return groups


def _model_of(rows: models.Model | list[models.Model] | Columns) -> type[models.Model]:
    if isinstance(rows, Columns):
        return rows.model
    return type(rows[0]) if isinstance(rows, list) else type(rows)


def _fields_to_insert(group: list[models.Model] | Columns) -> list[models.Field]:
    """The fields ``bulk_create`` writes: all but an automatic key not set on any row."""
    if isinstance(group, Columns):
        given = group.values.get(group.model._meta.pk.attname)
        unset = given is None or (isinstance(given, list) and all(value is None for value in given))
    else:
        unset = all(row.pk is None for row in group)
    return [
        field
        for field in _model_of(group)._meta.concrete_fields
        if not (field.primary_key and field.db_returning and unset)
    ]


def _insert_sql(group: list[models.Model], connection, stand_in: Callable[[Any], tuple[str, list]]) -> tuple[str, list]:
    """``INSERT INTO table (columns) VALUES (...), (...)`` for rows of one model, as ``bulk_create`` prepares them.

    ``stand_in`` gives the SQL and parameters of a stand-in (:data:`PARENT_ID`…) found in a field.
    """
    opts = group[0]._meta
    fields = _fields_to_insert(group)
    quote = connection.ops.quote_name
    values, params = [], []
    for row in group:
        placeholders = []
        for field in fields:
            value = field.pre_save(row, add=True)
            if isinstance(value, _STAND_INS):
                sql, more = stand_in(value)
                placeholders.append(sql)
                params.extend(more)
            else:
                placeholders.append("%s")
                params.append(field.get_db_prep_save(value, connection=connection))
        values.append(f"({', '.join(placeholders)})")
    columns = ", ".join(quote(field.column) for field in fields)
    return f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES {', '.join(values)}", params  # noqa: S608
