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
    ) -> str:
        """Ask the network to activate `service` (`b2cno`/`b2cse`); returns its reference."""
        raise NotImplementedError

    def activation_status(self, reference: str) -> ActivationState:
        """The network's current view of an activation (raises NetworkError if unknown)."""
        raise NotImplementedError

    def deactivate(self, reference: str) -> None:
        """Turn an active service off at the network."""
        raise NotImplementedError

    def add_receiving_account(
        self, reference: str, *, account_type: str, account_number: str
    ) -> None:
        """Add a Bankgiro/PlusGiro account under an active B2CSE activation's FUI."""
        raise NotImplementedError


class ConsumerApi:
    """Consumer-facing messages and directories. Implemented per adapter."""


class DeliveryApi:
    """Document delivery and status. Implemented per adapter."""


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
