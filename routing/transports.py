"""Transports: how a routed document leaves us. One interface, three implementations.

- `network`: the configured network adapter (simulated by default) for every e-invoice channel;
- `email`: Django's mail framework, PDF and UBL attached (UBL only when the branch says *do not
  send invoices as PDF via email*);
- `print`: a PDF in `PRINT_SPOOL_DIR/<date>/` plus a line in that day's batch manifest.

Every call carries the document UUID. Email and print record it in `OutboundDocument` first, so
a repeated call returns the first receipt instead of mailing or printing twice.
"""

from __future__ import annotations

import csv
import fcntl
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from b2cportal.network.adapter import Channel as NetworkChannel
from b2cportal.network.adapter import (
    NetworkError,
    NetworkTimeout,
    OutgoingDocument,
    Receipt,
    ReceiptStatus,
    get_network,
)
from invoices.models import Invoice
from invoices.pdf import build_pdf
from invoices.ubl import build_ubl

from .decision import Channel, DocumentFormat
from .models import Delivery, OutboundDocument
from .operator_mode import operator_routed


class TransportError(Exception):
    """The transport refused the document; the delivery fails and the invoice can be resent."""


class TransportTimeout(TransportError):
    """No answer in time; the document may have been accepted. Reconcile, never resend."""


class TransportDeferred(TransportError):
    """Not sent: the network is busy or down (429/5xx, unreachable). Queue again later."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


NETWORK_INBOX = {
    Channel.INTERNAL: NetworkChannel.INTERNAL,
    Channel.PEPPOL: NetworkChannel.PEPPOL,
    Channel.OPERATOR_SE: NetworkChannel.OPERATOR,
    Channel.EFAKTURA_NO: NetworkChannel.EFAKTURA,
    Channel.BANK_SE: NetworkChannel.BANK_SE,
    Channel.BILLO: NetworkChannel.BILLO,
    Channel.KIVRA: NetworkChannel.KIVRA,
}


@dataclass(frozen=True)
class Prepared:
    """The documents for one delivery, built before any transport call."""

    ubl: bytes | None
    pdf: bytes | None


def prepare(delivery: Delivery, invoice: Invoice) -> Prepared:
    fmt = delivery.document_format
    ubl = build_ubl(invoice) if fmt in (DocumentFormat.UBL, DocumentFormat.PDF_AND_UBL) else None
    pdf = build_pdf(invoice) if fmt in (DocumentFormat.PDF, DocumentFormat.PDF_AND_UBL) else None
    return Prepared(ubl=ubl, pdf=pdf)


class Transport:
    """deliver() one document; deliver_many() a chunk (default: one by one)."""

    def deliver(self, delivery: Delivery, invoice: Invoice, docs: Prepared) -> Receipt:
        raise NotImplementedError

    def deliver_many(self, batch: list[tuple[Delivery, Invoice, Prepared]]) -> list:
        results: list[Receipt | TransportError] = []
        for delivery, invoice, docs in batch:
            try:
                results.append(self.deliver(delivery, invoice, docs))
            except TransportError as exc:
                results.append(exc)
        return results

    def status(self, external_id: str) -> Receipt | None:
        raise NotImplementedError


def _as_transport_error(exc: NetworkError) -> TransportError:
    if isinstance(exc, NetworkTimeout):
        return TransportTimeout(str(exc))
    return TransportError(str(exc))


class NetworkTransport(Transport):
    @staticmethod
    def _document(delivery: Delivery, invoice: Invoice, docs: Prepared) -> OutgoingDocument:
        customer = invoice.customer
        if delivery.channel in (Channel.BANK_SE, Channel.BILLO, Channel.KIVRA):
            recipient = customer.national_id
        elif customer.kind == "business":
            recipient = customer.organisation_number
        else:
            recipient = customer.national_id or customer.number
        return OutgoingDocument(
            external_id=str(delivery.external_id),
            channel=NETWORK_INBOX[Channel(delivery.channel)],
            recipient=recipient,
            recipient_name=customer.name,
            issuer_identifier=invoice.company.organisation_number,
            issuer_name=invoice.company.name,
            document_number=invoice.number,
            content_type="application/xml",
            content=docs.ubl or b"",
        )

    def deliver(self, delivery: Delivery, invoice: Invoice, docs: Prepared) -> Receipt:
        try:
            return get_network().deliver(self._document(delivery, invoice, docs))
        except NetworkError as exc:
            raise _as_transport_error(exc) from exc

    def deliver_many(self, batch: list[tuple[Delivery, Invoice, Prepared]]) -> list:
        documents = [self._document(d, i, docs) for d, i, docs in batch]
        try:
            results = get_network().deliver_many(documents)
        except NetworkError as exc:
            return [_as_transport_error(exc) for _ in batch]
        return [_as_transport_error(r) if isinstance(r, NetworkError) else r for r in results]

    def status(self, external_id: str) -> Receipt | None:
        return get_network().status(external_id)


def _claim_outbound(delivery: Delivery, recipient: str) -> OutboundDocument | None:
    """Record the send first; None when this document UUID was already sent this way."""
    try:
        with transaction.atomic():
            return OutboundDocument.objects.create(
                external_id=delivery.external_id, channel=delivery.channel, recipient=recipient
            )
    except IntegrityError:
        return None


def _outbound_receipt(row: OutboundDocument) -> Receipt:
    return Receipt(
        external_id=str(row.external_id),
        status=ReceiptStatus.DELIVERED,
        detail=row.location or row.recipient,
        network_id=str(row.pk),
    )


class EmailTransport(Transport):
    def deliver(self, delivery: Delivery, invoice: Invoice, docs: Prepared) -> Receipt:
        address = invoice.customer.email
        if not address:
            raise TransportError(_("The customer has no email address."))
        row = _claim_outbound(delivery, address)
        if row is None:
            return _outbound_receipt(OutboundDocument.objects.get(external_id=delivery.external_id))
        label = invoice.get_kind_display()
        message = EmailMessage(
            subject=f"{label} {invoice.number} - {invoice.company.name}",
            body=_("Attached is %(kind)s %(number)s from %(company)s.")
            % {"kind": label, "number": invoice.number, "company": invoice.company.name},
            to=[address],
            headers={"X-Document-UUID": str(delivery.external_id)},
        )
        if docs.pdf:
            message.attach(f"{invoice.number}.pdf", docs.pdf, "application/pdf")
        if docs.ubl:
            message.attach(f"{invoice.number}.xml", docs.ubl, "application/xml")
        try:
            message.send()
        except Exception as exc:  # SMTP and friends raise many types; all mean "not sent"
            OutboundDocument.objects.filter(pk=row.pk).delete()
            raise TransportError(_("Email could not be sent: %(error)s") % {"error": exc}) from exc
        return _outbound_receipt(row)

    def status(self, external_id: str) -> Receipt | None:
        row = OutboundDocument.objects.filter(external_id=external_id).first()
        return _outbound_receipt(row) if row else None


class PrintTransport(Transport):
    def deliver(self, delivery: Delivery, invoice: Invoice, docs: Prepared) -> Receipt:
        customer = invoice.customer
        if not (customer.address_line1 and customer.postcode and customer.city):
            raise TransportError(_("The customer has no postal address."))
        row = _claim_outbound(delivery, customer.name)
        if row is None:
            return _outbound_receipt(OutboundDocument.objects.get(external_id=delivery.external_id))
        day = timezone.localdate().isoformat()
        # env.path() gives an environ.Path, which does not join with "/": normalise it.
        folder = Path(str(settings.PRINT_SPOOL_DIR)) / day
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{delivery.external_id}.pdf"
            path.write_bytes(docs.pdf or b"")
            # The print service reads the manifest; several workers append to it at once.
            with open(folder / "manifest.csv", "a", newline="", encoding="utf-8") as manifest:
                fcntl.flock(manifest, fcntl.LOCK_EX)
                csv.writer(manifest).writerow(
                    [
                        path.name,
                        invoice.company.organisation_number,
                        invoice.number,
                        customer.name,
                        customer.address_line1,
                        customer.postcode,
                        customer.city,
                        customer.country,
                    ]
                )
        except OSError as exc:
            OutboundDocument.objects.filter(pk=row.pk).delete()
            raise TransportError(_("Print spool not writable: %(error)s") % {"error": exc}) from exc
        OutboundDocument.objects.filter(pk=row.pk).update(location=str(path))
        row.location = str(path)
        return _outbound_receipt(row)

    def status(self, external_id: str) -> Receipt | None:
        row = OutboundDocument.objects.filter(external_id=external_id).first()
        return _outbound_receipt(row) if row else None


def transport_for(channel: str):
    if operator_routed():
        # The operator routes: every predicted channel, email and print included, goes to it.
        from .services.operator import OperatorTransport

        return OperatorTransport()
    if channel == Channel.EMAIL:
        return EmailTransport()
    if channel == Channel.PRINT:
        return PrintTransport()
    return NetworkTransport()
