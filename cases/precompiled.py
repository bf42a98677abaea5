"""Queries compiled once and run many times: for the few that every request runs.

Django compiles a queryset into SQL on every evaluation. For a small query that
costs more than running it: loading the study of a request took 0.3 ms to compile
against 0.1 ms in PostgreSQL. A :class:`Precompiled` query is written as an
ordinary queryset with named stand-ins for its values, compiled once per connection,
and run with the real values substituted into the parameters. Anything the ORM
would add (joins, the consent subqueries, ``FOR UPDATE``) stays in the SQL, so the
query is still written, read and reviewed as a queryset.

Stand-ins are integers in the range of a 32-bit key (Django drops lookups it can
prove empty, such as a key above that range), far above any key a study will
reach; each must appear exactly once among the compiled parameters.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper

_FIRST_STAND_IN = 2_147_000_001
_stand_ins = itertools.count(_FIRST_STAND_IN)


class Precompiled:
    """``build(**stand_ins)`` returns the queryset; :meth:`rows` runs it with real values for the names.

    >>> membership = Precompiled(
    ...     lambda study, user: Membership.objects.filter(study_id=study, user_id=user).values_list("role"),
    ...     "study", "user",
    ... )
    >>> membership.rows(model=Membership, study=7, user=3)
    [('owner',)]

    Values come back converted as the ORM converts them (``from_db_value``, the backend's
    converters). The compiled form is kept per connection, i.e. per database and thread,
    because converters may be bound to the connection they were made for.
    """

    def __init__(self, build: Callable[..., models.QuerySet], *names: str, write: bool = False):
        self.build, self.names, self.write = build, names, write
        self._stand_ins = {name: next(_stand_ins) for name in names}
        self._compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _Compiled] = weakref.WeakKeyDictionary()

    def compiled(self, connection: BaseDatabaseWrapper) -> _Compiled:
        found = self._compiled.get(connection)
        if found is None:
            compiler = self.build(**self._stand_ins).using(connection.alias).query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            by_value = {value: name for name, value in self._stand_ins.items()}
            # Django may wrap a value in the driver's type (psycopg's Int4): kept, to wrap the real value alike.
            positions = {
                index: (by_value[param], type(param))
                for index, param in enumerate(params)
                if isinstance(param, int) and not isinstance(param, bool) and param in by_value
            }
            if sorted(name for name, _ in positions.values()) != sorted(self.names):
                raise AssertionError(f"Each stand-in must appear exactly once among the parameters: {params!r}")
            converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
            found = self._compiled[connection] = _Compiled(sql, tuple(params), positions, converters)
        return found

    def alias(self, model: type[models.Model]) -> str:
        return router.db_for_write(model) if self.write else router.db_for_read(model)

    def rows(self, *, model: type[models.Model], **values: Any) -> list[tuple]:
        """Run the query for ``values`` (one per name) on ``model``'s database; the rows as tuples."""
        connection = connections[self.alias(model)]
        sql, params = self.statement(connection, **values)
        with connection.cursor() as cursor, prepared(connection):
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return self.converted(connection, rows)

    def statement(self, connection: BaseDatabaseWrapper, **values: Any) -> tuple[str, list]:
        """The SQL and parameters for ``values``, to run as they are or inside a larger statement."""
        compiled = self.compiled(connection)
        params = list(compiled.params)
        for index, (name, kind) in compiled.positions.items():
            params[index] = kind(values[name])
        return compiled.sql, params

    def converted(self, connection: BaseDatabaseWrapper, rows: list[tuple]) -> list[tuple]:
        """``rows`` of this query as fetched from the driver, with the values converted as the ORM converts them."""
        converters = self.compiled(connection).converters
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for index, (converters_, expression) in converters.items():
                value = row[index]
                for converter in converters_:
                    value = converter(value, expression, connection)
                row[index] = value
            converted.append(tuple(row))
        return converted


class _Compiled(NamedTuple):
    sql: str
    params: tuple
    positions: dict[int, tuple[str, type]]  # parameter index → stand-in name and the type Django gave it
    converters: dict[int, tuple[list, Any]]  # column index → (converters, expression), as the ORM applies them


@contextmanager
def prepared(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Statements run inside are prepared on the server the first time and planned once per connection.

    Only for the small, hot statements whose best plan does not depend on their values (a key, a study, a
    stretch of one source): ``config.settings.base.postgresql_tuned`` leaves automatic preparation off, because
    PostgreSQL may keep a generic plan for a prepared statement, and for an aggregate over a study that plan
    can be far worse for a large study than for the small ones it was made with (the matrix CSV at 100×:
    750 → 1,300 ms). Elsewhere than on PostgreSQL with server-side binding, nothing changes.
    """
    raw = connection.connection
    if not getattr(connection.features, "uses_server_side_binding", False) or raw is None:
        yield
        return
    before = raw.prepare_threshold
    raw.prepare_threshold = 0
    try:
        yield
    finally:
        raw.prepare_threshold = before


def field_names(model: type[models.Model], prefix: str = "") -> list[str]:
    """Every concrete field of ``model`` by attribute name (``created_by_id``), for ``values_list``."""
    return [prefix + field.attname for field in model._meta.concrete_fields]


def instance(model: type[models.Model], values: tuple, alias: str = "default") -> models.Model:
    """A model instance from the values of :func:`field_names`, as the ORM itself builds it (``from_db``)."""
    return model.from_db(alias, [field.attname for field in model._meta.concrete_fields], values)
