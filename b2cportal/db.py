"""Small database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models


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
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    params = [
        [column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def new_rows(
    model: type[models.Model], common: dict, varying: Sequence[str], values: Iterable[Sequence]
) -> list[models.Model]:
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
