"""Gap-free, duplicate-free numbering when many releases run at once (PostgreSQL row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from invoices.models import Invoice, InvoiceStatus
from invoices.services import InvoiceError, release_invoice
from tests.conftest import requires_postgres
from tests.factories import (
    invoice_ready_company,
    make_branch,
    make_company,
    make_customer,
    make_invoice,
    make_member,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    requires_postgres,
]


def _release_all(drafts, user, errors):
    barrier = threading.Barrier(len(drafts))

    def worker(invoice):
        try:
            barrier.wait()
            release_invoice(invoice=invoice, released_by=user)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_concurrent_releases_get_unique_sequential_numbers():
    company = invoice_ready_company(make_company(country="NO", name="Parallel AS"))
    make_branch(company=company, branch_id="MAIN", is_main_office=True)
    user = make_member(company=company, username="parallel")
    drafts = [
        make_invoice(company=company, customer=make_customer(company=company)) for _ in range(12)
    ]
    errors: list[Exception] = []
    _release_all(drafts, user, errors)
    assert errors == []
    numbers = sorted(
        int(n) for n in Invoice.objects.filter(company=company).values_list("number", flat=True)
    )
    assert numbers == list(range(1, 13))
    assert set(Invoice.objects.filter(company=company).values_list("status", flat=True)) == {
        InvoiceStatus.OPEN
    }


def test_concurrent_failures_leave_no_gaps():
    company = invoice_ready_company(make_company(country="NO", name="Gaps AS"))
    make_branch(company=company, branch_id="MAIN", is_main_office=True)
    user = make_member(company=company, username="gaps")
    good = [
        make_invoice(company=company, customer=make_customer(company=company)) for _ in range(6)
    ]
    # Customer numbers without digits cannot make a KID: these releases fail inside the lock.
    bad = [
        make_invoice(company=company, customer=make_customer(company=company, number=f"NO-{c}"))
        for c in "abcdef"
    ]
    errors: list[Exception] = []
    _release_all(good + bad, user, errors)
    assert len(errors) == 6
    assert all(isinstance(e, InvoiceError) for e in errors)
    numbers = sorted(
        int(n)
        for n in Invoice.objects.filter(company=company)
        .exclude(number="")
        .values_list("number", flat=True)
    )
    assert numbers == list(range(1, 7))
