"""The types of the network interface: enums and the typed results every adapter returns.

They belong to the interface, not to any adapter: the simulated network and the real operator
translate their own wire values into these. Values are plain strings (`StrEnum`), so they can be
stored and compared with the strings in our own models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Service(StrEnum):
    """The consumer e-invoice services a company activates at the network."""

    B2CNO = "b2cno"  # AutoInvoice B2C, Norway (eFaktura)
    B2CSE = "b2cse"  # B2CSE, Sweden (bank e-invoice through the certified distributor)


class ActivationStatus(StrEnum):
    """The network's view of a service activation."""

    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    DEACTIVATED = "deactivated"
    # A value the network sent that we do not know (kept in `ActivationState.raw_status`):
    # shown as it came, never treated as an outcome.
    UNKNOWN = "unknown"


class Channel(StrEnum):
    """Where a document goes on the network side."""

    INTERNAL = "internal"  # our internal network
    PEPPOL = "peppol"
    OPERATOR = "operator"  # Swedish operator address book (InExchange/NEA)
    EFAKTURA = "efaktura"  # Norway: the consumer's online bank
    BANK_SE = "bank_se"  # Sweden: the consumer's online bank via FMI
    BILLO = "billo"
    KIVRA = "kivra"


class ParticipantKind(StrEnum):
    """How a business receiver is reachable (answer of `lookup_participants`)."""

    INTERNAL = "internal"
    PEPPOL = "peppol"
    OPERATOR = "operator"


class Mailbox(StrEnum):
    """Swedish digital mailbox providers (answer of `lookup_mailboxes`)."""

    BILLO = "billo"
    KIVRA = "kivra"


class MessageChannel(StrEnum):
    """How the network reaches a consumer with a message (agreement requests)."""

    SMS = "sms"
    EMAIL = "email"


class RerouteTo(StrEnum):
    """Where a document the network could not deliver electronically goes instead."""

    EMAIL = "email"
    PRINT = "print"


class ReceiptStatus(StrEnum):
    """What the network says about one document."""

    ACCEPTED = "accepted"  # taken, not final yet: ask `status` again later
    DELIVERED = "delivered"  # final: the receiver has it
    FAILED = "failed"  # final: the network gave up; `detail` says why
    REJECTED = "rejected"  # refused when handed over; `detail` says why

    @property
    def is_final(self) -> bool:
        return self is not ReceiptStatus.ACCEPTED


@dataclass(frozen=True)
class ActivationState:
    """What the network says about one service activation.

    When a B2CSE activation turns active the network tells the FUI and Agreement ID it assigned
    (or confirmed) and the consumer onboarding page; a rejection carries the reason.
    """

    reference: str
    status: ActivationStatus
    fui: str = ""
    agreement_id: str = ""
    onboarding_url: str = ""
    error: str = ""
    accounts: tuple[str, ...] = ()
    raw_status: str = ""  # the network's own word for the status, for display


@dataclass(frozen=True)
class PostalAddress:
    """A printed document's recipient (`RerouteTo.PRINT`); country is ISO 3166-1 alpha-2."""

    name: str
    line1: str
    postcode: str
    city: str
    country: str
    line2: str = ""


@dataclass(frozen=True)
class EFakturaLookup:
    """A consumer found in the eFaktura receiver directory ("Ja takk til alle").

    `matched_on` names the identifiers that matched (e.g. ("national_id",) or
    ("mobile", "name", "postcode")); `blocked` is true when the consumer blocked this issuer.
    """

    matched_on: tuple[str, ...]
    blocked: bool


@dataclass(frozen=True)
class OutgoingDocument:
    """What we hand to a network: the receiver, the issuer and the bytes.

    `hints` carries the constraints of our route decision that an operator-routed network takes
    (e.g. `recipient_type`, `route_order`, `recipient_ssn`, `lang`); a self-routed network
    ignores them. `pdf` is the human-readable copy where the consumer channel needs one.
    """

    external_id: str  # our document UUID: the idempotency key
    channel: Channel
    recipient: str
    recipient_name: str
    issuer_identifier: str
    issuer_name: str
    document_number: str
    content_type: str
    content: bytes
    pdf: bytes = b""
    hints: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """The network's answer for one document, keyed by our document UUID.

    `channel_used` is the channel the network actually delivered on, when it routes itself (the
    operator); `network_id` is the network's own id for the document.
    """

    external_id: str
    status: ReceiptStatus
    detail: str = ""  # for failed/rejected: the network's reason
    network_id: str = ""
    channel_used: str = ""
