"""The demo seeder leaves released invoices and a credit note in both countries."""

from __future__ import annotations

import pytest

from b2cportal.customers.models import CustomerKind
from invoices.demo import seed_invoices
from invoices.models import Invoice, InvoiceLine
from tests.factories import SWEDISH_SSN, make_business_customer, make_customer

pytestmark = pytest.mark.django_db


def test_seed_invoices_covers_countries_kinds_rates_and_credit_notes(inv_no, inv_se):
    for company in (inv_no, inv_se):
        make_customer(company=company, national_id=SWEDISH_SSN if company.country == "SE" else "")
        make_business_customer(company=company)
    assert seed_invoices() > 0
    released = Invoice.objects.exclude(status="draft")
    for company in (inv_no, inv_se):
        mine = released.filter(company=company)
        assert mine.filter(kind="invoice", customer__kind=CustomerKind.CONSUMER).exists()
        assert mine.filter(kind="invoice", customer__kind=CustomerKind.BUSINESS).exists()
        assert mine.filter(kind="credit_note").exists()
        rates = set(
            InvoiceLine.objects.filter(invoice__company=company, vat_category="S").values_list(
                "vat_rate", flat=True
            )
        )
        assert len(rates) >= 2
    assert not Invoice.objects.filter(status="draft").exists()
    # Idempotent: a second run adds nothing.
    count = Invoice.objects.count()
    seed_invoices()
    assert Invoice.objects.count() == count


def test_seed_invoices_works_as_a_demo_seeder_hook(inv_no):
    import io
    from types import SimpleNamespace

    make_customer(company=inv_no)
    out = io.StringIO()
    seed_invoices(SimpleNamespace(stdout=out))
    assert Invoice.objects.filter(company=inv_no, status="open").exists()
    assert "demo documents" in out.getvalue()
