"""Plain bulk INSERTs for ingest's child rows, without the ORM's per-value compiling.

`QuerySet.bulk_create` builds model instances and then compiles every value of every row
into SQL through the field machinery; for a page of registry records (tens of thousands
of locations and criteria) that compiling costs ten times the database's own work. Here
the rows go to the database as they are, adapted only where the database needs it (JSON,
dates): on PostgreSQL as one `COPY ... FROM STDIN` per table, elsewhere as one
parameterised INSERT sent with `executemany`. No signals, no returned ids: use it for rows
nobody needs an instance of, inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg.adapt import Dumper

# Fields whose Python values the drivers take as they are.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.FloatField,
    models.BooleanField,
    models.ForeignKey,
)

# orjson refuses (so json.dumps decides, raising as Django's own adapting would) what the
# standard encoder cannot write either: dates, times and dataclasses.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _json_utf8(value: Any) -> bytes | None:
    """orjson's UTF-8 text of `value`, or None where only json.dumps may decide.

    orjson writes NaN and Infinity as null where json.dumps writes NaN (which PostgreSQL
    refuses, so such a record fails as it always did): any null leaves it to json.dumps.
    Non-string keys and integers beyond 64 bits make orjson raise, and go the same way.
    Otherwise only the spelling can differ ("1e16" for "1e+16", UTF-8 for \\u escapes).
    """
    try:
        data = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return None
    return None if b"null" in data else data


def json_text(value: Any) -> str:
    """`value` as JSON text, the same value `json.dumps` would write, often much faster.

    Always ASCII, as json.dumps writes it: a str with one character above U+00FF takes
    two or four bytes a character, and a page of raw records held that way cost ~50 MB
    more at peak. So orjson's text is used when it is ASCII, json.dumps otherwise.
    """
    data = _json_utf8(value)
    if data is None or not data.isascii():
        return json.dumps(value)
    return data.decode("ascii")


class _JsonUtf8(bytes):
    """JSON text in UTF-8, to COPY into a json or jsonb column as it is."""


class _JsonUtf8Dumper(Dumper):
    def dump(self, obj: Any) -> bytes:
        return obj  # type: ignore[no-any-return]


def _json_utf8_for_copy(value: Any) -> _JsonUtf8:
    data = _json_utf8(value)
    return _JsonUtf8(json.dumps(value).encode() if data is None else data)


def json_stored(value: Any) -> Any:
    """`value` as a JSON column hands it back once stored (tuples become lists, keys
    strings...), as `json.loads(json.dumps(value))` would make it, several times faster."""
    try:
        data = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        data = b"null"
    if b"null" in data:  # see json_text: json decides
        return json.loads(json.dumps(value))
    return orjson.loads(data)


def _adapter(
    field: models.Field[Any, Any], connection: BaseDatabaseWrapper
) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        if field.encoder is not None:
            encoder = field.encoder
            return lambda value: (
                None if value is None else connection.ops.adapt_json_value(value, encoder)
            )
        # PostgreSQL's COPY takes the UTF-8 text as it is; elsewhere it is bound as str.
        encode = _json_utf8_for_copy if connection.vendor == "postgresql" else json_text
        # Most locations have no contacts and most interventions no other names.
        empty = encode([])

        def adapt_json(value: Any) -> Any:
            if value is None:
                return None
            if value == []:
                return empty
            return encode(value)

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
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)  # type: ignore[union-attr]
    copy = connection.vendor == "postgresql"
    adapters = [
        (name, _adapter(field, connection))  # type: ignore[arg-type]
        for name, field in zip(names, fields, strict=True)
    ]
    # Rows are adapted as they are sent, not all first: a page's raw records are tens of
    # MB of JSON text, and holding them all as text at once raised the peak by ~50 MB.
    params = ([adapt(row[name]) for name, adapt in adapters] for row in rows)
    with connection.cursor() as cursor:
        if copy:
            # One COPY instead of one INSERT per row: executemany in psycopg's pipeline
            # still makes the server plan and run each row on its own.
            sql = f"COPY {table} ({columns}) FROM STDIN"
            cursor.cursor.adapters.register_dumper(_JsonUtf8, _JsonUtf8Dumper)
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as stream:
                for row in params:
                    stream.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
            cursor.executemany(sql, params)
