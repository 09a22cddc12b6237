"""`b2cportal.db.prepared_statements`: PostgreSQL prepares what runs inside, and nothing else."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Value

from b2cportal.companies.models import Company
from b2cportal.db import prepared_statements
from tests.factories import make_company

pytestmark = pytest.mark.django_db


def _prepared_on_this_connection() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _probe() -> bool:
    """A query no other code runs (its alias), so the test sees only its own preparation."""
    probe = Company.objects.filter(organisation_number="923609016").annotate(probe_1=Value(1))
    return list(probe.values_list("probe_1", flat=True)) == [1]


def test_only_statements_inside_are_prepared():
    make_company(country="NO", organisation_number="923609016")
    for _ in range(10):  # far beyond psycopg's usual threshold of 5 runs
        assert _probe()
    assert not any("probe_1" in sql for sql in _prepared_on_this_connection())
    with prepared_statements():
        assert _probe()
    assert any("probe_1" in sql for sql in _prepared_on_this_connection())


def test_a_prepared_statement_still_raises_djangos_errors():
    """The replay of an inbound event relies on IntegrityError reaching the service."""
    make_company(country="NO", organisation_number="923609016")
    with pytest.raises(IntegrityError), prepared_statements(), transaction.atomic():
        Company.objects.create(name="Twin AS", country="NO", organisation_number="923609016")


def test_preparing_can_be_switched_off_for_a_pooler(settings):
    make_company(country="NO", organisation_number="923609016")
    settings.DATABASE_PREPARED_STATEMENTS = False
    with prepared_statements():
        assert _probe()
    assert not any("probe_1" in sql for sql in _prepared_on_this_connection())


def test_the_setting_is_read_from_the_environment(settings_under):
    assert settings_under(DJANGO_DEBUG="1")["DATABASE_PREPARED_STATEMENTS"] is True
    off = settings_under(DJANGO_DEBUG="1", DATABASE_PREPARED_STATEMENTS="false")
    assert off["DATABASE_PREPARED_STATEMENTS"] is False
