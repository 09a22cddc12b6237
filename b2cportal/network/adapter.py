"""The one interface to the delivery networks we cannot reach from here.

Banks (eFaktura / AutoInvoice B2C), the Swedish certified distributor (FMI, Billo, Kivra), Peppol
and the operators all sit behind `Network`. The default adapter is the simulated network stored
in our database (`b2cportal.network.simulated`); a real operator client (Maventa's REST API) is
a second implementation of the same interface. Callers get the configured one from
`get_network()` and never import an implementation directly.

The interface is split by concern so each part can grow on its own:
- `ActivationApi`: national registers and B2C service activation (Norway and Sweden);
- `ConsumerApi`: messages to consumers (agreement requests by SMS/email) and consumer directories;
- `DeliveryApi`: delivering documents and asking for their status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

ADAPTERS = {
    "simulated": "b2cportal.network.simulated.SimulatedNetwork",
    "maventa": "b2cportal.network.maventa.adapter.MaventaNetwork",
}


class NetworkError(Exception):
    """The network refused a request or could not be reached; the message says why."""


@dataclass(frozen=True)
class ActivationState:
    """What the network says about one service activation.

    `status` is one of `pending`, `active`, `rejected`, `deactivated` (`ActivationRequestStatus`).
    When a B2CSE activation turns active the network tells the FUI and Agreement ID it assigned
    (or confirmed) and the consumer onboarding page; a rejection carries the reason.
    """

    reference: str
    status: str
    fui: str = ""
    agreement_id: str = ""
    onboarding_url: str = ""
    error: str = ""
    accounts: list[str] = field(default_factory=list)


class ActivationApi:
    """Registers and service activation. Implemented per adapter.

    Activation is asynchronous on every real network: `submit_activation` hands the request
    over and returns the network's reference; the caller learns the outcome only by asking
    `activation_status(reference)` later (our periodic poll), never by a callback.
    """

    def register_name(self, *, country: str, organisation_number: str) -> str | None:
        """The company's name in the national register (Brønnøysund / Bolagsverket), or None."""
        raise NotImplementedError

    def submit_activation(
        self,
        *,
        service: str,
        organisation_number: str,
        company_name: str,
        payload: dict,
        idempotency_key: str = "",
    ) -> str:
        """Ask the network to activate `service` (`b2cno`/`b2cse`); returns its reference.

        The same `idempotency_key` (a UUID) sent again returns the first request's reference
        instead of creating a second activation.
        """
        raise NotImplementedError

    def activation_status(self, reference: str) -> ActivationState:
        """The network's current view of an activation (raises NetworkError if unknown)."""
        raise NotImplementedError

    def deactivate(self, reference: str) -> None:
        """Turn an active service off at the network (again on a deactivated one: no-op)."""
        raise NotImplementedError

    def add_receiving_account(
        self, reference: str, *, account_type: str, account_number: str
    ) -> None:
        """Add a Bankgiro/PlusGiro account under an active B2CSE activation's FUI."""
        raise NotImplementedError


@dataclass(frozen=True)
class EFakturaLookup:
    """A consumer found in the eFaktura receiver directory ("Ja takk til alle").

    `matched_on` names the identifiers that matched (e.g. ("national_id",) or
    ("mobile", "name", "postcode")); `blocked` is true when the consumer blocked this issuer.
    """

    matched_on: tuple[str, ...]
    blocked: bool


class ConsumerApi:
    """Consumer-facing messages and directories. Implemented per adapter."""

    def agreement_acceptance_link(
        self,
        *,
        issuer_organisation_number: str,
        issuer_name: str,
        branch_reference: str,
        customer_reference: str,
        source: str = "online_bank",
    ) -> str:
        """The network's page where the consumer accepts or rejects an eFaktura agreement."""
        raise NotImplementedError

    def send_consumer_message(
        self,
        *,
        channel: str,
        recipient: str,
        text: str,
        subject: str = "",
        link: str = "",
        purpose: str = "",
    ) -> str:
        """Send an SMS or email to a consumer; returns the network's message reference."""
        raise NotImplementedError

    def find_efaktura_receiver(
        self,
        *,
        issuer_organisation_number: str,
        national_id: str = "",
        mobile: str = "",
        email: str = "",
        name: str = "",
        postcode: str = "",
    ) -> EFakturaLookup | None:
        """Look a consumer up in the eFaktura receiver directory (Ja takk til alle)."""
        raise NotImplementedError


class NetworkTimeout(NetworkError):
    """No answer in time: the network may or may not have accepted the document."""


@dataclass(frozen=True)
class Receipt:
    """The network's answer for one document, keyed by our document UUID."""

    external_id: str
    status: str  # "delivered" | "accepted" | "rejected"
    detail: str = ""
    network_id: str = ""


@dataclass(frozen=True)
class OutgoingDocument:
    """What we hand to a network: the receiver, the issuer and the bytes."""

    external_id: str  # our document UUID: the idempotency key
    channel: str  # internal | peppol | operator | efaktura | bank_se | billo | kivra
    recipient: str
    recipient_name: str
    issuer_identifier: str
    issuer_name: str
    document_number: str
    content_type: str
    content: bytes


class DeliveryApi:
    """Document delivery, status and the receiver directories. Implemented per adapter.

    Directory lookups take many identifiers at once so a bulk send asks once per chunk.
    """

    def lookup_participants(self, identifiers: list[str]) -> dict[str, set[str]]:
        """Identifier -> the participant kinds it is registered as (internal/peppol/operator)."""
        raise NotImplementedError

    def lookup_fmi(self, ssns: list[str], issuer_fui: str = "") -> set[str]:
        """The SSNs with an active FMI (for this issuer's FUI when given)."""
        raise NotImplementedError

    def lookup_mailboxes(self, ssns: list[str]) -> dict[str, set[str]]:
        """SSN -> digital mailbox providers (billo/kivra) where it has an account."""
        raise NotImplementedError

    def deliver(self, document: OutgoingDocument) -> Receipt:
        """Deliver once per external_id; a repeat returns the first receipt."""
        raise NotImplementedError

    def deliver_many(self, documents: list[OutgoingDocument]) -> list[Receipt | NetworkError]:
        """Deliver several documents; one receipt or error per document, in order.

        Adapters whose API takes one document per call keep this default loop.
        """
        results: list[Receipt | NetworkError] = []
        for document in documents:
            try:
                results.append(self.deliver(document))
            except NetworkError as exc:
                results.append(exc)
        return results

    def status(self, external_id: str) -> Receipt | None:
        """The receipt for a document UUID, or None when the network never accepted it."""
        raise NotImplementedError


class Network(ActivationApi, ConsumerApi, DeliveryApi):
    name = "abstract"
    is_simulated = False


@cache
def _adapter_class(name: str) -> type[Network]:
    try:
        return import_string(ADAPTERS[name])
    except KeyError as exc:
        raise NetworkError(f"Unknown NETWORK_ADAPTER {name!r}") from exc


def get_network() -> Network:
    """The configured network adapter (settings.NETWORK_ADAPTER)."""
    return _adapter_class(settings.NETWORK_ADAPTER)()
