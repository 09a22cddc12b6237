"""PostgreSQL only: trigram indexes so the list's substring search does not scan every row.

Django's `icontains`/`istartswith` become `UPPER(col) LIKE UPPER('%term%')` on PostgreSQL; a GIN
index on `UPPER(col) gin_trgm_ops` serves exactly that. SQLite (development default) has no
such index type and skips this migration's SQL.
"""

from django.db import migrations

COLUMNS = ("number", "name", "email")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS customer_{column}_trgm "
            f"ON customers_customer USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS customer_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_search_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
