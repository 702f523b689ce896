"""Plain multi-row INSERTs for ingest's child rows, without the ORM's per-value compiling.

`QuerySet.bulk_create` builds model instances and then compiles every value of every row
into SQL through the field machinery; for a page of registry records (tens of thousands
of locations and criteria) that compiling costs ten times the database's own work. Here
one parameterised INSERT is sent with `executemany`, and values are adapted only where
the database needs it (JSON, dates). No signals, no returned ids: use it for rows nobody
needs an instance of, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

# Fields whose Python values the drivers take as they are.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.FloatField,
    models.BooleanField,
    models.ForeignKey,
)


def _adapter(
    field: models.Field[Any, Any], connection: BaseDatabaseWrapper
) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        # Most locations have no contacts: adapt the empty list once, not per row.
        empty = connection.ops.adapt_json_value([], encoder)

        def adapt_json(value: Any) -> Any:
            if value is None:
                return None
            if value == []:
                return empty
            return connection.ops.adapt_json_value(value, encoder)

        return adapt_json
    if isinstance(field, _PLAIN):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, connection)


def insert_rows(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, using: str = "default"
) -> None:
    """INSERT `rows` (dicts keyed by field attname, every row the same keys) into `model`.

    Every column without a database default must be given: Django keeps defaults in
    Python, so a missing one fails as NOT NULL.
    """
    if not rows:
        return
    connection = connections[using]
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)  # type: ignore[union-attr]
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    adapters = [
        (name, _adapter(field, connection)) for name, field in zip(names, fields, strict=True)
    ]  # type: ignore[arg-type]
    params = [[adapt(row[name]) for name, adapt in adapters] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
