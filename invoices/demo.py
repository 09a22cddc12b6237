"""Demo invoices: released invoices and a credit note per company, several VAT rates."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from b2cportal.companies.models import Company

from .models import Invoice
from .services import InvoiceError, LineInput, create_credit_note, create_draft, release_invoice

LINES = {
    "NO": [
        LineInput("Konsulenttimer", Decimal("7.5"), Decimal("1150.00"), "HUR", "S", Decimal("25")),
        LineInput("Matvarer", Decimal("3"), Decimal("89.90"), "EA", "S", Decimal("15")),
        LineInput("Kinobillett", Decimal("2"), Decimal("145.00"), "EA", "S", Decimal("12")),
        LineInput("Bok", Decimal("1"), Decimal("349.00"), "EA", "Z", Decimal("0")),
    ],
    "SE": [
        LineInput("Konsulttimmar", Decimal("6"), Decimal("950.00"), "HUR", "S", Decimal("25")),
        LineInput("Livsmedel", Decimal("4"), Decimal("59.50"), "EA", "S", Decimal("12")),
        LineInput("Tidning", Decimal("1"), Decimal("79.00"), "EA", "S", Decimal("6")),
        LineInput(
            "Tandvård",
            Decimal("1"),
            Decimal("1200.00"),
            "EA",
            "E",
            Decimal("0"),
            "Undantag 3 kap. ML",
        ),
    ],
}


def seed_invoices(context=None, *, stdout=None) -> int:
    """Create and release demo invoices for companies without any; returns how many.

    Works as a `demo_seeders` hook (`seeder(context)`, logging to `context.stdout`)
    and on its own (`seed_invoices(stdout=...)`), on whatever companies and customers exist.
    """
    if stdout is None and context is not None:
        stdout = getattr(context, "stdout", None)
    created = 0
    today = timezone.localdate()
    for company in Company.objects.prefetch_related("branches", "customers"):
        if Invoice.objects.filter(company=company).exists():
            continue
        before = created
        branch = company.branches.order_by("-is_main_office").first()
        customers = [c for c in company.customers.all() if c.is_active][:4]
        lines = LINES.get(company.country)
        if branch is None or not customers or not lines:
            continue
        released = []
        for index, customer in enumerate(customers):
            chosen = lines[: 2 + index % 3] if index % 2 == 0 else lines[index % 4 :] or lines[:1]
            invoice = create_draft(
                company=company,
                branch=branch,
                customer=customer,
                issue_date=today - timedelta(days=10 - index),
                due_date=today + timedelta(days=14 + index),
                lines=list(chosen),
                acting_user=None,
                note="Demo",
            )
            try:
                release_invoice(invoice=invoice, released_by=None)
                released.append(invoice)
            except InvoiceError as exc:  # e.g. a demo customer whose data cannot be invoiced
                if stdout:
                    stdout.write(f"  invoice for {customer} left as draft: {exc}")
            created += 1
        if released:
            first = released[0]
            line = first.lines.first()
            assert line is not None  # a released invoice has lines
            try:
                credit = create_credit_note(
                    invoice=first, acting_user=None, quantities={line.pk: Decimal("1")}
                )
                release_invoice(invoice=credit, released_by=None)
            except InvoiceError as exc:
                if stdout:
                    stdout.write(f"  credit note left as draft: {exc}")
            created += 1
        if stdout:
            stdout.write(f"Invoices: {created - before} demo documents for {company.name}")
    return created
