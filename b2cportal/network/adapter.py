"""The one interface to the delivery networks we cannot reach from here.

Banks (eFaktura / AutoInvoice B2C), the Swedish certified distributor (FMI, Billo, Kivra), Peppol
and the operators all sit behind `Network`. Implementations are registered in `ADAPTERS` by
dotted path and chosen with the setting `NETWORK_ADAPTER`: `simulated` (the `simulator` app, a
network stored in our database) or a real operator client. Callers get the configured one with
`get_network(company)` and never import an implementation.

The interface owns its types (`b2cportal.network.types`), its errors
(`b2cportal.network.errors`) and its inbound event types (`b2cportal.network.inbound`); all are
re-exported here. It knows identifiers (organisation numbers, national IDs), never our models.

Split by concern so each part can grow on its own:
- `ActivationApi`: national registers and B2C service activation (Norway and Sweden);
- `ConsumerApi`: messages to consumers (agreement requests by SMS/email) and directories;
- `DeliveryApi`: delivering documents and asking for their status;
- `InboundApi`: turning the network's calls to us into our own event types.

Every method in `NETWORK_CALLS` may talk to the network: never call one inside a database
transaction (the test suite fails any test that does). Methods a network cannot serve raise
`NotSupportedByNetwork`; each docstring says how callers treat that.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .errors import (
    NetworkError,
    NetworkTimeout,
    NotSupportedByNetwork,
    PermanentNetworkError,
    TransientNetworkError,
)
from .inbound import (
    AgreementEvent,
    AgreementEventType,
    InboundError,
    parse_signed_json_events,
)
from .types import (
    ActivationState,
    ActivationStatus,
    Channel,
    EFakturaLookup,
    Mailbox,
    MessageChannel,
    OutgoingDocument,
    ParticipantKind,
    PostalAddress,
    Receipt,
    ReceiptStatus,
    RerouteTo,
    Service,
)

__all__ = [
    "ADAPTERS",
    "NETWORK_CALLS",
    "ActivationApi",
    "ActivationState",
    "ActivationStatus",
    "AgreementEvent",
    "AgreementEventType",
    "Channel",
    "ConsumerApi",
    "DeliveryApi",
    "EFakturaLookup",
    "InboundApi",
    "InboundError",
    "Mailbox",
    "MessageChannel",
    "Network",
    "NetworkError",
    "NetworkTimeout",
    "NetworkTransientError",
    "NotSupportedByNetwork",
    "OutgoingDocument",
    "ParticipantKind",
    "PermanentNetworkError",
    "PostalAddress",
    "Receipt",
    "ReceiptStatus",
    "RerouteTo",
    "Service",
    "TransientNetworkError",
    "adapter_class",
    "get_network",
]

# The outbox's name for a transient refusal (nothing taken: retry with the same UUID).
NetworkTransientError = TransientNetworkError

# NETWORK_ADAPTER value -> dotted path of the Network subclass.
ADAPTERS: dict[str, str] = {
    "simulated": "simulator.adapter.SimulatedNetwork",
    "maventa": "b2cportal.network.maventa.adapter.MaventaNetwork",
}


class ActivationApi:
    """Registers and service activation.

    Activation is asynchronous on every real network: `submit_activation` hands the request
    over and returns the network's reference; the caller learns the outcome only by asking
    `activation_status(reference)` later (our periodic poll), never by a callback.
    """

    name: str  # set by `Network` subclasses

    def register_name(self, *, country: str, organisation_number: str) -> str | None:
        """The company's name in the national register (Brønnøysund / Bolagsverket), or None.

        NotSupportedByNetwork: the network checks the name itself; callers skip their check.
        """
        raise NotSupportedByNetwork("register lookups", self.name)

    def submit_activation(
        self,
        *,
        service: Service,
        organisation_number: str,
        company_name: str,
        payload: dict[str, Any],
        idempotency_key: str = "",
    ) -> str:
        """Ask the network to activate `service`; returns its reference.

        The same `idempotency_key` (a UUID) sent again returns the first request's reference
        instead of creating a second activation.
        """
        raise NotSupportedByNetwork("service activation", self.name)

    def activation_status(self, reference: str) -> ActivationState:
        """The network's current view of an activation (PermanentNetworkError if unknown)."""
        raise NotSupportedByNetwork("activation status", self.name)

    def deactivate(self, reference: str) -> None:
        """Turn an active service off at the network (again on a deactivated one: no-op)."""
        raise NotSupportedByNetwork("deactivation", self.name)

    def add_receiving_account(
        self, reference: str, *, account_type: str, account_number: str
    ) -> None:
        """Add a Bankgiro/PlusGiro account under an active B2CSE activation's FUI.

        NotSupportedByNetwork: the network has no such operation; the account cannot be added
        from here (the caller says so and records nothing).
        """
        raise NotSupportedByNetwork("adding receiving accounts", self.name)


class ConsumerApi:
    """Consumer-facing messages and directories."""

    name: str  # set by `Network` subclasses

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
        raise NotSupportedByNetwork("agreement links", self.name)

    def send_consumer_message(
        self,
        *,
        channel: MessageChannel,
        recipient: str,
        text: str,
        subject: str = "",
        link: str = "",
        purpose: str = "",
    ) -> str:
        """Send an SMS or email to a consumer; returns the network's message reference."""
        raise NotSupportedByNetwork("consumer messages", self.name)

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
        raise NotSupportedByNetwork("eFaktura directory lookups", self.name)


class DeliveryApi:
    """Document delivery, status and the receiver directories.

    Directory lookups take many identifiers at once so a bulk send asks once per chunk.
    """

    name: str  # set by `Network` subclasses

    def lookup_participants(self, identifiers: list[str]) -> dict[str, set[ParticipantKind]]:
        """Identifier -> how it is reachable (internal/peppol/operator)."""
        raise NotSupportedByNetwork("participant lookups", self.name)

    def lookup_fmi(self, ssns: list[str], issuer_fui: str = "") -> set[str]:
        """The SSNs with an active FMI with this issuer (FUI); a blank FUI matches nothing.

        NotSupportedByNetwork: unknown; the network routes Swedish consumers itself.
        """
        raise NotSupportedByNetwork("FMI lookups", self.name)

    def lookup_mailboxes(self, ssns: list[str]) -> dict[str, set[Mailbox]]:
        """SSN -> digital mailbox providers (Billo/Kivra) where it has an account.

        NotSupportedByNetwork: unknown; the network routes Swedish consumers itself.
        """
        raise NotSupportedByNetwork("digital mailbox lookups", self.name)

    def deliver(self, document: OutgoingDocument) -> Receipt:
        """Deliver once per external_id; a repeat returns the first receipt.

        NetworkTimeout: unknown outcome; ask `status(external_id)` before sending again.
        """
        raise NotSupportedByNetwork("document delivery", self.name)

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
        raise NotSupportedByNetwork("document status", self.name)

    def reroute(
        self,
        network_id: str,
        *,
        route: RerouteTo,
        email: str = "",
        address: PostalAddress | None = None,
    ) -> None:
        """Stop delivering a document the network holds (`Receipt.network_id`) electronically
        and send it by email (to `email`) or on paper (to `address`) instead.

        A network that routes itself (`routes_itself`, the operator's `PUT …/reroute/…`)
        delivers it on the new route and reports the outcome through its status; a self-routed
        network only withdraws it, and the caller sends it with its own email or print
        transport. PermanentNetworkError: the network will not re-route it (already delivered,
        unknown id); the message says why.
        """
        raise NotSupportedByNetwork("re-routing", self.name)


class InboundApi:
    """What the network sends us (agreement events), turned into our own types."""

    def inbound_secret(self) -> str:
        """The HMAC secret of the signed-JSON agreement protocol for this network."""
        return settings.NETWORK_WEBHOOK_SECRET

    def parse_inbound(self, request) -> list[AgreementEvent]:
        """The agreement events in one request the network made to our inbound endpoint.

        Raises `InboundError` (`unauthorized` or `malformed`) before anything is applied. The
        default is our signed-JSON protocol (`b2cportal.network.inbound`) under
        `inbound_secret()`; a network with its own format overrides this, one that sends no
        agreement events raises NotSupportedByNetwork (the endpoint answers 404).
        """
        return parse_signed_json_events(request, secret=self.inbound_secret())


# The methods that may talk to the network (never inside a database transaction).
NETWORK_CALLS: tuple[str, ...] = (
    "register_name",
    "submit_activation",
    "activation_status",
    "deactivate",
    "add_receiving_account",
    "agreement_acceptance_link",
    "send_consumer_message",
    "find_efaktura_receiver",
    "lookup_participants",
    "lookup_fmi",
    "lookup_mailboxes",
    "deliver",
    "deliver_many",
    "status",
    "reroute",
)


class Network(ActivationApi, ConsumerApi, DeliveryApi, InboundApi):
    """A delivery network. Subclasses set `name` and implement what the network offers."""

    name = "abstract"
    # True for networks that route themselves (the real operator): our route decision is then
    # the explained prediction and the constraints we send (DESIGN §5 "Who routes").
    routes_itself = False

    @classmethod
    def for_company(cls, company=None) -> Network:
        """The adapter acting for `company` (its credentials at the network); None: no company
        (inbound requests, directory-wide jobs). The hook for per-company connections: adapters
        with credentials override it; the simulated network has none and ignores it."""
        return cls()


@cache
def adapter_class(name: str) -> type[Network]:
    """The Network subclass registered in ADAPTERS under `name`."""
    try:
        path = ADAPTERS[name]
    except KeyError as exc:
        raise ImproperlyConfigured(
            f"Unknown NETWORK_ADAPTER {name!r}; known: {', '.join(sorted(ADAPTERS))}"
        ) from exc
    return import_string(path)


def get_network(company=None) -> Network:
    """The configured network adapter (settings.NETWORK_ADAPTER) acting for `company`."""
    return adapter_class(settings.NETWORK_ADAPTER).for_company(company)
