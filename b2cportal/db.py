"""Small database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Sequence

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
