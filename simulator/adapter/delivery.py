"""The simulated network's side of `DeliveryApi`: directories and inboxes in our database.

Two settings (environment variables) exist for reliability tests and demos only (a worker
subprocess can be started with them): `SIMULATED_NETWORK_FAULT=timeout_after_accept`
stores the document and then times out, the way a real network can accept and never answer;
`SIMULATED_NETWORK_DELAY_MS` makes every delivery take that long.

Per receiver, the `delivery_fault` field on the receiver's row (eFaktura receiver, FMI
registration, Billo/Kivra account, participant; editable in the admin) makes deliveries to that
receiver fail: rejected, refused for good, temporarily unavailable, timed out after accepting, or
accepted and never reported delivered.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet

from b2cportal.network.adapter import (
    DeliveryApi,
    Mailbox,
    NetworkError,
    NetworkTimeout,
    OutgoingDocument,
    ParticipantKind,
    PermanentNetworkError,
    PostalAddress,
    Receipt,
    ReceiptStatus,
    RerouteTo,
    TransientNetworkError,
)
from b2cportal.network.print_manifest import MANIFEST_NAME, read_lines
from simulator.models import (
    DeliveryFault,
    DigitalMailboxAccount,
    EFakturaReceiver,
    FmiRegistration,
    InboxDocument,
    InboxKind,
    Participant,
)

# The print spool page shows this many days of manifests and at most this many lines.
PRINT_SPOOL_DAYS = 31
PRINT_SPOOL_LIMIT = 1000


def _receipt(item: InboxDocument, fault: str = "") -> Receipt:
    return Receipt(
        external_id=str(item.document_uuid),
        status=(
            ReceiptStatus.ACCEPTED
            if fault == DeliveryFault.ACCEPT_ONLY
            else ReceiptStatus.DELIVERED
        ),
        detail=item.get_kind_display(),
        network_id=str(item.pk),
    )


def _faults(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(inbox kind, recipient) -> the receiver's configured delivery fault, where one is set."""
    found: dict[tuple[str, str], str] = {}
    by_kind: dict[str, set[str]] = {}
    rows: QuerySet[Any, tuple[str, str]]
    for kind, recipient in pairs:
        if recipient:
            by_kind.setdefault(kind, set()).add(recipient)
    for kind, recipients in by_kind.items():
        if kind == InboxKind.EFAKTURA:
            rows = EFakturaReceiver.objects.filter(national_id__in=recipients).values_list(
                "national_id", "delivery_fault"
            )
        elif kind == InboxKind.BANK_SE:
            rows = FmiRegistration.objects.filter(ssn__in=recipients, active=True).values_list(
                "ssn", "delivery_fault"
            )
        elif kind in (InboxKind.BILLO, InboxKind.KIVRA):
            rows = DigitalMailboxAccount.objects.filter(
                ssn__in=recipients, provider=kind
            ).values_list("ssn", "delivery_fault")
        else:
            rows = Participant.objects.filter(identifier__in=recipients, kind=kind).values_list(
                "identifier", "delivery_fault"
            )
        for recipient, fault in rows.exclude(delivery_fault=""):
            found[(kind, recipient)] = fault
    return found


def _refusal(document: OutgoingDocument, fault: str) -> Receipt | NetworkError | None:
    """The answer a faulty receiver gives before anything is stored (None: store it)."""
    if fault == DeliveryFault.REJECTED:
        return Receipt(
            external_id=document.external_id,
            status=ReceiptStatus.REJECTED,
            detail="Receiver refused the document (simulated)",
        )
    if fault == DeliveryFault.UNREACHABLE:
        return PermanentNetworkError("Receiver not reachable on this channel (simulated)")
    if fault == DeliveryFault.TRANSIENT:
        return TransientNetworkError("503 Service Unavailable (simulated)")
    return None


def _timed_out(fault: str) -> bool:
    return (
        fault == DeliveryFault.TIMEOUT or settings.SIMULATED_NETWORK_FAULT == "timeout_after_accept"
    )


def _inbox_item(document: OutgoingDocument) -> InboxDocument:
    return InboxDocument(
        document_uuid=document.external_id,
        kind=document.channel,
        recipient=document.recipient[:60],
        recipient_name=document.recipient_name[:200],
        issuer_identifier=document.issuer_identifier[:40],
        issuer_name=document.issuer_name[:200],
        document_number=document.document_number[:40],
        content_type=document.content_type,
        content=document.content,
    )


class SimulatedDelivery(DeliveryApi):
    """The simulated network's side of `DeliveryApi`."""

    def lookup_participants(self, identifiers: list[str]) -> dict[str, set[ParticipantKind]]:
        found: dict[str, set[ParticipantKind]] = {}
        wanted = [i for i in identifiers if i]
        if not wanted:
            return found
        for identifier, kind in Participant.objects.filter(identifier__in=wanted).values_list(
            "identifier", "kind"
        ):
            found.setdefault(identifier, set()).add(ParticipantKind(kind))
        return found

    def lookup_fmi(self, ssns: list[str], issuer_fui: str = "") -> set[str]:
        wanted = [s for s in ssns if s]
        if not wanted:
            return set()
        if not wanted or not issuer_fui:
            # An FMI is an agreement with one issuer: without the sender's FUI there is none,
            # and a registration never matches an issuer it was not made with.
            return set()
        rows = FmiRegistration.objects.filter(ssn__in=wanted, active=True, issuer_fui=issuer_fui)
        return set(rows.values_list("ssn", flat=True))

    def lookup_mailboxes(self, ssns: list[str]) -> dict[str, set[Mailbox]]:
        found: dict[str, set[Mailbox]] = {}
        wanted = [s for s in ssns if s]
        if not wanted:
            return found
        for ssn, provider in DigitalMailboxAccount.objects.filter(ssn__in=wanted).values_list(
            "ssn", "provider"
        ):
            found.setdefault(ssn, set()).add(Mailbox(provider))
        return found

    def deliver(self, document: OutgoingDocument) -> Receipt:
        delay_ms = settings.SIMULATED_NETWORK_DELAY_MS
        if delay_ms:
            time.sleep(delay_ms / 1000)
        fault = _faults({(document.channel, document.recipient)}).get(
            (document.channel, document.recipient), ""
        )
        refusal = _refusal(document, fault)
        if isinstance(refusal, NetworkError):
            raise refusal
        if refusal is not None:
            return refusal
        try:
            with transaction.atomic():
                item = _inbox_item(document)
                item.save(force_insert=True)
        except IntegrityError:
            # The idempotency key at work: the same document never lands twice.
            InboxDocument.objects.filter(document_uuid=document.external_id).update(
                repeats=F("repeats") + 1
            )
            item = InboxDocument.objects.get(document_uuid=document.external_id)
        if _timed_out(fault):
            raise NetworkTimeout("The simulated network accepted the document but timed out.")
        return _receipt(item, fault)

    def deliver_many(self, documents: list[OutgoingDocument]) -> list[Receipt | NetworkError]:
        """One round trip for a whole chunk; same idempotency as `deliver`."""
        if not documents:
            return []
        delay_ms = settings.SIMULATED_NETWORK_DELAY_MS
        if delay_ms:
            time.sleep(delay_ms * len(documents) / 1000)
        faults = _faults({(d.channel, d.recipient) for d in documents})
        answers: dict[str, Receipt | NetworkError] = {}
        for d in documents:
            refusal = _refusal(d, faults.get((d.channel, d.recipient), ""))
            if refusal is not None:
                answers[d.external_id] = refusal
        accepted = [d for d in documents if d.external_id not in answers]
        uuids = [d.external_id for d in accepted]
        with transaction.atomic():
            existing = set(
                str(u)
                for u in InboxDocument.objects.filter(document_uuid__in=uuids).values_list(
                    "document_uuid", flat=True
                )
            )
            InboxDocument.objects.bulk_create(
                [_inbox_item(d) for d in accepted if d.external_id not in existing],
                ignore_conflicts=True,
            )
            if existing:
                InboxDocument.objects.filter(document_uuid__in=existing).update(
                    repeats=F("repeats") + 1
                )
        items = {
            str(i.document_uuid): i
            for i in InboxDocument.objects.filter(document_uuid__in=uuids).defer("content")
        }
        for d in accepted:
            fault = faults.get((d.channel, d.recipient), "")
            answers[d.external_id] = (
                NetworkTimeout("The simulated network accepted the document but timed out.")
                if _timed_out(fault)
                else _receipt(items[d.external_id], fault)
            )
        return [answers[d.external_id] for d in documents]

    def status(self, external_id: str) -> Receipt | None:
        item = InboxDocument.objects.filter(document_uuid=external_id).defer("content").first()
        if item is None:
            return None
        fault = _faults({(item.kind, item.recipient)}).get((item.kind, item.recipient), "")
        return _receipt(item, fault)

    def reroute(
        self,
        network_id: str,
        *,
        route: RerouteTo,
        email: str = "",
        address: PostalAddress | None = None,
    ) -> None:
        """Withdraw an accepted, not yet delivered document from the receiver's inbox.

        The simulated network routes nothing itself: the caller sends the document by its own
        email or print transport. Delivered or unknown documents are refused.
        """
        item = (
            InboxDocument.objects.filter(pk=network_id).defer("content").first()
            if str(network_id).isdigit()
            else None
        )
        if item is None:
            raise PermanentNetworkError("The network does not hold this document (simulated).")
        fault = _faults({(item.kind, item.recipient)}).get((item.kind, item.recipient), "")
        if fault != DeliveryFault.ACCEPT_ONLY:
            raise PermanentNetworkError(
                "The document was already delivered to the receiver (simulated)."
            )
        item.delete()  # withdrawn: the receiver never sees it


# --- reads for the *Network simulator* pages -------------------------------------------------


def inbox_documents(*, issuer: str, kind: str = "", recipient: str = "") -> QuerySet[InboxDocument]:
    """What the simulated receivers got from one issuer (organisation number), newest first."""
    rows = InboxDocument.objects.filter(issuer_identifier=issuer).defer("content")
    if kind in InboxKind.values:
        rows = rows.filter(kind=kind)
    if recipient:
        rows = rows.filter(recipient=recipient)
    return rows


def inbox_document(*, issuer: str, pk: int) -> InboxDocument | None:
    """One received document, only if this issuer sent it (a foreign id is not found)."""
    return InboxDocument.objects.filter(issuer_identifier=issuer, pk=pk).first()


def print_spool_entries(
    *,
    issuer: str,
    root: Path | str | None = None,
    days: int = PRINT_SPOOL_DAYS,
    limit: int = PRINT_SPOOL_LIMIT,
) -> list[dict[str, str]]:
    """Lines of the print spool's daily manifests that belong to one issuer, newest day first.

    The print transport writes `<PRINT_SPOOL_DIR>/<YYYY-MM-DD>/manifest.csv`
    (`b2cportal.network.print_manifest`: the file name, the issuer's organisation number, invoice
    number and the postal address).
    """
    folder = Path(str(root if root is not None else settings.PRINT_SPOOL_DIR))
    entries: list[dict[str, str]] = []
    if not folder.exists() or not issuer:
        return entries
    for manifest in sorted(folder.glob(f"*/{MANIFEST_NAME}"), reverse=True)[:days]:
        with open(manifest, newline="", encoding="utf-8") as handle:
            for line in read_lines(handle):
                if line.issuer != issuer:
                    continue
                entries.append(
                    {
                        **asdict(line),
                        "day": manifest.parent.name,
                        "uuid": _spool_uuid(line.file),
                    }
                )
                if len(entries) >= limit:
                    return entries
    return entries


def _spool_uuid(file_name: str) -> str:
    """The document UUID a spool file is named after, or "" for anything else."""
    stem = file_name.removesuffix(".pdf")
    try:
        return str(uuid.UUID(stem)) if stem != file_name else ""
    except ValueError:
        return ""


def print_spool_file(
    *,
    issuer: str,
    document_uuid: uuid.UUID | str,
    root: Path | str | None = None,
    days: int = PRINT_SPOOL_DAYS,
) -> Path | None:
    """The spooled PDF for one document, only if a manifest line says this issuer sent it.

    Never takes a path from the caller: the file name is rebuilt from the UUID and must appear
    in a manifest line carrying the issuer's organisation number.
    """
    try:
        wanted = f"{uuid.UUID(str(document_uuid))}.pdf"
    except ValueError:
        return None
    folder = Path(str(root if root is not None else settings.PRINT_SPOOL_DIR))
    if not folder.exists() or not issuer:
        return None
    for manifest in sorted(folder.glob(f"*/{MANIFEST_NAME}"), reverse=True)[:days]:
        with open(manifest, newline="", encoding="utf-8") as handle:
            for line in read_lines(handle):
                if line.file == wanted and line.issuer == issuer:
                    path = manifest.parent / wanted
                    return path if path.is_file() else None
    return None
