"""Writing a row and the rows that hang off it in one round trip."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, models, router

from .precompiled import prepared


class _ParentId:
    """Stands for the primary key of the first row given to :func:`insert_together`, not known until it is written."""

    def __repr__(self) -> str:
        return "PARENT_ID"


PARENT_ID = _ParentId()


def insert_together(first: models.Model, rows: Iterable[models.Model] = ()) -> None:
    """Insert ``first`` and ``rows``; any field of ``rows`` set to :data:`PARENT_ID` gets ``first``'s new key.

    ``rows`` is read after ``first``'s automatic fields (``auto_now``…) are filled, so a
    generator can copy them (a history row).

    On PostgreSQL this is one statement: ``first``'s INSERT ... RETURNING and one
    multi-row INSERT per model of ``rows`` as data-modifying CTEs that read the new key
    from it (foreign keys are deferred to the commit, so the order does not matter).
    Elsewhere ``first`` is inserted, then one ``bulk_create`` per model.
    Like ``bulk_create``: ``first`` gets its key and auto fields are filled, the other
    rows' keys stay unset, no signals are sent (the caller writes what receivers would,
    e.g. history rows) and no validation runs. The statement is prepared once per connection and shape
    (``cases.precompiled.prepared``): it is on the hot path of applying a code, with few shapes.
    """
    using = router.db_for_write(type(first))
    connection = connections[using]
    if connection.vendor != "postgresql":
        type(first)._base_manager.using(using).bulk_create([first])
        rows = list(rows)
        for row in rows:
            for field in row._meta.concrete_fields:
                if getattr(row, field.attname) is PARENT_ID:
                    setattr(row, field.attname, first.pk)
        for model, group in _by_model(rows).items():
            model._base_manager.using(using).bulk_create(group)
        return
    # Only quoted table and column names from the models go into the SQL text; every value is a parameter.
    quote = connection.ops.quote_name
    parent_sql = f"(SELECT {quote(first._meta.pk.column)} FROM parent)"  # noqa: S608
    sql, params = _insert_sql([first], connection, parent_sql)
    rows = list(rows)
    ctes = [f"parent AS ({sql} RETURNING {quote(first._meta.pk.column)})"]
    for index, (_model, group) in enumerate(_by_model(rows).items()):
        sql, more = _insert_sql(group, connection, parent_sql)
        ctes.append(f"rows_{index} AS ({sql})")
        params.extend(more)
    with connection.cursor() as cursor, prepared(connection):
        cursor.execute(f"WITH {', '.join(ctes)} SELECT {quote(first._meta.pk.column)} FROM parent", params)  # noqa: S608
        (first.pk,) = cursor.fetchone()
    first._state.adding = False
    first._state.db = using


def _by_model(rows: list[models.Model]) -> dict[type[models.Model], list[models.Model]]:
    groups: dict[type[models.Model], list[models.Model]] = {}
    for row in rows:
        groups.setdefault(type(row), []).append(row)
    return groups


def _insert_sql(group: list[models.Model], connection, parent_sql: str) -> tuple[str, list]:
    """``INSERT INTO table (columns) VALUES (...), (...)`` for rows of one model, as ``bulk_create`` prepares them."""
    opts = group[0]._meta
    fields = [
        field
        for field in opts.concrete_fields
        if not (field.primary_key and field.db_returning and all(row.pk is None for row in group))
    ]
    quote = connection.ops.quote_name
    values, params = [], []
    for row in group:
        placeholders = []
        for field in fields:
            value = field.pre_save(row, add=True)
            if value is PARENT_ID:
                placeholders.append(parent_sql)
            else:
                placeholders.append("%s")
                params.append(field.get_db_prep_save(value, connection=connection))
        values.append(f"({', '.join(placeholders)})")
    columns = ", ".join(quote(field.column) for field in fields)
    return f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES {', '.join(values)}", params  # noqa: S608
