"""Small database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import connection, models
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models.functions import Upper


def update_rows(rows: Sequence[models.Model], fields: list[str]) -> None:
    """Write `fields` of many saved rows: one parameterised UPDATE run with `executemany`.

    Django's `bulk_update` builds a CASE expression per field and row, which for a chunk of
    invoices costs more CPU than the invoices themselves; `executemany` sends the same
    statement with each row's values (psycopg 3 pipelines it into one round trip). The SQL is
    the same on every database and the values go through each field's own conversion.
    """
    if not rows:
        return
    meta = rows[0]._meta
    columns = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(column.column))} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(meta.pk.column))} = %s"
    params = [
        [column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@contextmanager
def prepared_statements() -> Iterator[None]:
    """Have PostgreSQL prepare the statements run inside: each is parsed and planned once per
    connection, and after five runs PostgreSQL may keep one generic plan for it.

    Only for a hot path of lookups by key and writes, where planning costs more than running
    (an inbound agreement event: 1.2 of the 1.7 ms of database CPU per event). A generic plan
    is blind to the values, so searches stay outside: with every statement prepared, the
    invoice-number search (`LIKE` with `LIMIT`) took 200 ms instead of 20. Inside, values travel
    apart from the SQL (psycopg's server-side binding) so that a statement's text repeats;
    outside, Django's usual client-side binding stays, which is faster for bulk inserts of
    thousands of values. On SQLite, or with DATABASE_PREPARED_STATEMENTS off, nothing changes.
    """
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        yield
        return
    connection.ensure_connection()
    psycopg_connection = connection.connection
    saved = psycopg_connection.cursor_factory, psycopg_connection.prepare_threshold
    psycopg_connection.cursor_factory = ServerBindingCursor
    psycopg_connection.prepare_threshold = 0  # prepared at the first run on this connection
    try:
        yield
    finally:
        psycopg_connection.cursor_factory, psycopg_connection.prepare_threshold = saved


class TrigramIndex(GinIndex):
    """A trigram index serving `icontains` search on one text column.

    On PostgreSQL Django's `icontains` is `UPPER(col) LIKE UPPER('%term%')`, which a GIN index
    on `UPPER(col) gin_trgm_ops` serves (the `pg_trgm` extension is created by the migration).
    SQLite, the embedded demo database, has neither GIN nor trigrams: there the same expression
    gets an ordinary index, so the model state and the migrations are one for both databases.
    """

    def __init__(self, *expressions, **kwargs):
        if len(expressions) == 1 and isinstance(expressions[0], str):
            expressions = (OpClass(Upper(expressions[0]), name="gin_trgm_ops"),)
        super().__init__(*expressions, **kwargs)

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        plain = [
            # OpClass wraps the indexed expression; SQLite indexes the expression itself.
            part.get_source_expressions()[0] if isinstance(part, OpClass) else part
            for part in self.expressions
        ]
        return models.Index(*plain, name=self.name).create_sql(model, schema_editor, **kwargs)


class InIds(models.Func):
    """`column IN (subquery)` that PostgreSQL can serve from the column's index.

    Inside an OR, PostgreSQL runs `IN (SELECT …)` as a filter on every row it reads; written
    `column = ANY(ARRAY(SELECT …))` the subquery runs once (an InitPlan) and the condition is an
    index condition, so `a OR b OR customer IN (…)` becomes one bitmap scan over three indexes.
    Elsewhere (SQLite) it stays a plain `IN`. Use it in `filter()` like a Q.
    """

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, column: str, queryset: models.QuerySet):
        super().__init__(models.F(column), models.Subquery(queryset.values("pk")))

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra):
        column, subquery = (compiler.compile(e) for e in self.get_source_expressions())
        return f"{column[0]} IN {subquery[0]}", (*column[1], *subquery[1])

    def as_postgresql(self, compiler, connection, **extra_context):
        column, subquery = (compiler.compile(e) for e in self.get_source_expressions())
        return f"{column[0]} = ANY(ARRAY{subquery[0]})", (*column[1], *subquery[1])


ModelT = TypeVar("ModelT", bound=models.Model)


def new_rows(
    model: type[ModelT], common: dict, varying: Sequence[str], values: Iterable[Sequence]
) -> list[ModelT]:
    """Unsaved instances of `model` for `bulk_create`, many at once: one per tuple of
    `values` (the fields named in `varying`, in that order), the fields in `common` and every
    other field's default the same on all of them.

    Django's keyword construction resolves every field (defaults, descriptors) for each row,
    which for ten thousand rows costs more than inserting them; here the shared values are
    resolved once and each row is built positionally. The rows share those values (JSON
    defaults included): insert them, read their primary keys, do not mutate them.
    """
    template = model(**common)
    names = [field.attname for field in model._meta.concrete_fields]
    base = [getattr(template, name) for name in names]
    slots = [names.index(name) for name in varying]
    rows = []
    for row_values in values:
        args = base.copy()
        for slot, value in zip(slots, row_values, strict=True):
            args[slot] = value
        rows.append(model(*args))
    return rows
