"""Write one released invoice's UBL or PDF to a file, for integrators and support."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from b2cportal.companies.models import Company
from invoices.models import Invoice
from invoices.selectors import invoice_for_document


class Command(BaseCommand):
    help = "Write an invoice or credit note as UBL (Peppol BIS 3) or PDF."

    def add_arguments(self, parser):
        parser.add_argument("organisation_number", help="the company's organisation number")
        parser.add_argument("number", help="the invoice or credit note number")
        parser.add_argument("--format", choices=["ubl", "pdf"], default="ubl")
        parser.add_argument("--output", required=True, help="file to write ('-' for stdout)")

    def handle(self, *args, organisation_number, number, format, output, **options):
        digits = "".join(ch for ch in organisation_number if ch.isdigit())
        companies = list(Company.objects.filter(organisation_number=digits))
        if not companies:
            raise CommandError(f"No company with organisation number {organisation_number}.")
        if len(companies) > 1:
            raise CommandError("That organisation number exists in several countries.")
        try:
            invoice = invoice_for_document(
                company=companies[0],
                pk=Invoice.objects.only("pk").get(company=companies[0], number=number).pk,
            )
        except Invoice.DoesNotExist as exc:
            raise CommandError(f"No invoice {number} for {companies[0].name}.") from exc
        if format == "pdf":
            from invoices.pdf import build_pdf

            content = build_pdf(invoice)
        else:
            from invoices.ubl import UblError, build_ubl

            try:
                content = build_ubl(invoice)
            except UblError as exc:
                raise CommandError(str(exc)) from exc
        if output == "-":
            sys.stdout.buffer.write(content)
            return
        Path(output).write_bytes(content)
        self.stdout.write(f"Wrote {len(content)} bytes to {output}")
