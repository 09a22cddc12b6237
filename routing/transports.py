"""Transports: how a routed document leaves us. One interface, three implementations.

- `network`: the configured network adapter (simulated by default) for every e-invoice channel;
- `email`: Django's mail framework, PDF and UBL attached (UBL only when the branch says *do not
  send invoices as PDF via email*);
- `print`: a PDF in `PRINT_SPOOL_DIR/<date>/` plus a line in that day's batch manifest.

Every call carries the document UUID. Email and print record the attempt in `OutboundDocument`
first and mark it sent only once the mail server accepted the message / the PDF and its manifest
line are on disk, so a crash in between is never taken for a delivery: `status()` reports only
what really left, and the resend carries the same `Message-ID` (email is at-least-once: a crash
after the server accepted the message and before we noted it sends it a second time, with the same
Message-ID) or rewrites the same spool file (print is exactly-once on disk).
"""

from __future__ import annotations

import fcntl
import os
import smtplib
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from b2cportal.network import print_manifest
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

# Reasons stored on a delivery are message ids, translated when shown (never in the worker's
# language); the network's own words go to `Delivery.error_detail`.
NO_EMAIL = gettext_noop("The customer has no email address.")
NO_POSTAL_ADDRESS = gettext_noop("The customer has no postal address.")
EMAIL_REFUSED = gettext_noop("The mail server refused the email.")
EMAIL_UNAVAILABLE = gettext_noop("The mail server could not be reached; trying again.")
SPOOL_UNWRITABLE = gettext_noop("The print spool is not writable.")
NETWORK_REFUSED = gettext_noop("The network refused the delivery.")
NETWORK_REJECTED = gettext_noop("The receiver rejected the document.")
NETWORK_UNAVAILABLE = gettext_noop("The network is temporarily unavailable; trying again.")
NETWORK_TIMEOUT = gettext_noop("No answer from the network in time; asking it what happened.")
DOCUMENT_FAILED = gettext_noop("The document could not be built.")
TRANSPORT_FAILED = gettext_noop("The transport failed unexpectedly.")
DATABASE_UNAVAILABLE = gettext_noop("The database connection was lost; trying again.")


class TransportError(Exception):
    """The transport refused the document for good; the delivery fails (or moves on).

    `message` is a catalogued message id (shown translated), `detail` the other side's words.
    """

    transient = False

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail[:500]


class TransientTransportError(TransportError):
    """Not taken this time (429, 5xx, connection refused, database gone): retry, same UUID.

    `retry_after`: seconds the network asked us to wait (its `Retry-After`), when it said so.
    """

    transient = True

    def __init__(self, message: str, detail: str = "", *, retry_after: float | None = None):
        super().__init__(message, detail)
        self.retry_after = retry_after


class TransportTimeout(TransportError):
    """No answer in time; the document may have been accepted. Reconcile, never resend."""


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
        return TransportTimeout(NETWORK_TIMEOUT, str(exc))
    if getattr(exc, "transient", False):
        return TransientTransportError(
            NETWORK_UNAVAILABLE, str(exc), retry_after=getattr(exc, "retry_after", None)
        )
    return TransportError(NETWORK_REFUSED, str(exc))


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


def _attempts(
    batch: list[tuple[Delivery, Invoice, Prepared]], fields
) -> dict[str, tuple[OutboundDocument, bool]]:
    """Each send's record, written before anything leaves (one INSERT for the chunk).

    Document UUID -> (row, first attempt?). A retry finds the first attempt's row.
    """
    uuids = [str(d.external_id) for d, _i, _docs in batch]
    existing = {
        str(r.external_id): r for r in OutboundDocument.objects.filter(external_id__in=uuids)
    }
    OutboundDocument.objects.bulk_create(
        [
            OutboundDocument(external_id=d.external_id, channel=d.channel, **fields(d, invoice))
            for d, invoice, _docs in batch
            if str(d.external_id) not in existing
        ],
        ignore_conflicts=True,
    )
    rows = {str(r.external_id): r for r in OutboundDocument.objects.filter(external_id__in=uuids)}
    return {uuid: (row, uuid not in existing) for uuid, row in rows.items()}


class _RecordedTransport(Transport):
    """Email and print: check, record the chunk's attempts, then send each."""

    def refusal(self, invoice: Invoice) -> TransportError | None:
        raise NotImplementedError

    def record(self, delivery: Delivery, invoice: Invoice) -> dict:
        raise NotImplementedError

    def send(self, delivery, invoice, docs, row: OutboundDocument, first: bool) -> Receipt:
        raise NotImplementedError

    def finish(self, sent: list[OutboundDocument]) -> None:
        """After the chunk: note what left (unless `send` did already)."""

    def deliver(self, delivery: Delivery, invoice: Invoice, docs: Prepared) -> Receipt:
        (result,) = self.deliver_many([(delivery, invoice, docs)])
        if isinstance(result, TransportError):
            raise result
        return result

    def deliver_many(self, batch: list[tuple[Delivery, Invoice, Prepared]]) -> list:
        results: dict[int, Receipt | TransportError] = {}
        ready = []
        for item in batch:
            refusal = self.refusal(item[1])
            if refusal is not None:
                results[id(item)] = refusal
            else:
                ready.append(item)
        rows = _attempts(ready, self.record) if ready else {}
        sent = []
        for item in ready:
            delivery, invoice, docs = item
            row, first = rows[str(delivery.external_id)]
            try:
                results[id(item)] = self.send(delivery, invoice, docs, row, first)
                sent.append(row)
            except TransportError as exc:
                results[id(item)] = exc
        self.finish(sent)
        return [results[id(item)] for item in batch]


def _mark_sent(row: OutboundDocument) -> None:
    row.sent_at = timezone.now()
    OutboundDocument.objects.filter(pk=row.pk).update(sent_at=row.sent_at)


def _outbound_receipt(row: OutboundDocument) -> Receipt:
    return Receipt(
        external_id=str(row.external_id),
        status=ReceiptStatus.DELIVERED,
        detail=row.location or row.recipient,
        network_id=str(row.pk),
    )


def message_id(external_id) -> str:
    """The email's Message-ID: the same for every attempt of one document."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "b2cportal.invalid"
    return f"<{external_id}@{domain}>"


def _smtp_error(exc: Exception) -> TransportError:
    """5xx answers are final; everything else (4xx, connection, timeout) is worth a retry."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
    elif isinstance(exc, smtplib.SMTPResponseException):
        permanent = 500 <= exc.smtp_code < 600
    else:
        permanent = False
    if permanent:
        return TransportError(EMAIL_REFUSED, str(exc))
    return TransientTransportError(EMAIL_UNAVAILABLE, f"{type(exc).__name__}: {exc}")


class EmailTransport(_RecordedTransport):
    def refusal(self, invoice: Invoice) -> TransportError | None:
        return None if invoice.customer.email else TransportError(NO_EMAIL)

    def record(self, delivery: Delivery, invoice: Invoice) -> dict:
        return {"recipient": invoice.customer.email}

    def send(self, delivery, invoice, docs, row: OutboundDocument, first: bool) -> Receipt:
        if row.sent_at is not None:
            return _outbound_receipt(row)
        label = invoice.get_kind_display()
        message = EmailMessage(
            subject=f"{label} {invoice.number} - {invoice.company.name}",
            body=_("Attached is %(kind)s %(number)s from %(company)s.")
            % {"kind": label, "number": invoice.number, "company": invoice.company.name},
            to=[invoice.customer.email],
            headers={
                "Message-ID": message_id(delivery.external_id),
                "X-Document-UUID": str(delivery.external_id),
            },
        )
        if docs.pdf:
            message.attach(f"{invoice.number}.pdf", docs.pdf, "application/pdf")
        if docs.ubl:
            message.attach(f"{invoice.number}.xml", docs.ubl, "application/xml")
        try:
            message.send()
        except Exception as exc:  # SMTP and friends raise many types; none means "accepted"
            raise _smtp_error(exc) from exc
        # Noted at once, so a crash later in the chunk resends nothing the server accepted.
        _mark_sent(row)
        return _outbound_receipt(row)

    def status(self, external_id: str) -> Receipt | None:
        """Only a message the mail server accepted counts; a recorded attempt does not."""
        row = OutboundDocument.objects.filter(external_id=external_id).first()
        return _outbound_receipt(row) if row and row.sent_at else None


def _manifest_has(manifest: Path, file_name: str) -> bool:
    if not manifest.exists():
        return False
    with open(manifest, newline="", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        return any(line.file == file_name for line in print_manifest.read_lines(handle))


def _printed(location: str) -> bool:
    """The spool has the PDF and the manifest names it: the print service will print it."""
    if not location:
        return False
    path = Path(location)
    return path.is_file() and _manifest_has(path.parent / print_manifest.MANIFEST_NAME, path.name)


class PrintTransport(_RecordedTransport):
    def refusal(self, invoice: Invoice) -> TransportError | None:
        customer = invoice.customer
        if customer.address_line1 and customer.postcode and customer.city:
            return None
        return TransportError(NO_POSTAL_ADDRESS)

    def record(self, delivery: Delivery, invoice: Invoice) -> dict:
        day = timezone.localdate().isoformat()
        # env.path() gives an environ.Path, which does not join with "/": normalise it.
        planned = Path(str(settings.PRINT_SPOOL_DIR)) / day / f"{delivery.external_id}.pdf"
        return {"recipient": invoice.customer.name, "location": str(planned)}

    def send(self, delivery, invoice, docs, row: OutboundDocument, first: bool) -> Receipt:
        # A retry writes to the place the first attempt chose (and its day's manifest).
        path = Path(row.location)
        if row.sent_at is not None and _printed(row.location):
            return _outbound_receipt(row)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Atomic: the print service sees the whole PDF or none (temporary file + rename).
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(temporary, "wb") as handle:
                handle.write(docs.pdf or b"")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
            self._append_manifest(path, invoice, check_existing=not first)
        except OSError as exc:
            raise TransportError(SPOOL_UNWRITABLE, str(exc)) from exc
        return _outbound_receipt(row)

    def finish(self, sent: list[OutboundDocument]) -> None:
        # The spool itself is the record that counts (see `status`); this is bookkeeping.
        OutboundDocument.objects.filter(pk__in=[r.pk for r in sent if r.sent_at is None]).update(
            sent_at=timezone.now()
        )

    @staticmethod
    def _append_manifest(path: Path, invoice: Invoice, *, check_existing: bool) -> None:
        customer = invoice.customer
        # The print service reads the manifest; several workers append to it at once.
        manifest_path = path.parent / print_manifest.MANIFEST_NAME
        with open(manifest_path, "a+", newline="", encoding="utf-8") as manifest:
            fcntl.flock(manifest, fcntl.LOCK_EX)
            if check_existing:
                manifest.seek(0)
                if any(line.file == path.name for line in print_manifest.read_lines(manifest)):
                    return
            print_manifest.write_line(
                manifest,
                print_manifest.ManifestLine(
                    file=path.name,
                    issuer=invoice.company.organisation_number,
                    number=invoice.number,
                    name=customer.name,
                    address=customer.address_line1,
                    postcode=customer.postcode,
                    city=customer.city,
                    country=customer.country,
                ),
            )
            manifest.flush()
            os.fsync(manifest.fileno())

    def status(self, external_id: str) -> Receipt | None:
        """Reconciled from the spool itself: the file and its manifest line, not our record."""
        row = OutboundDocument.objects.filter(external_id=external_id).first()
        return _outbound_receipt(row) if row and _printed(row.location) else None


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
