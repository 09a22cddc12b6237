"""The simulated network: every answer comes from the simulator's tables in our database.

Registered in `b2cportal.network.adapter.ADAPTERS` as `simulated`; each concern lives in its own
module and is mixed in here. It signs the agreement events it sends us with its own secret
(`SIMULATOR_WEBHOOK_SECRET`), never the production `NETWORK_WEBHOOK_SECRET`.
"""

from __future__ import annotations

from django.conf import settings

from b2cportal.network.adapter import Network

from .activation import SimulatedActivation
from .consumers import SimulatedConsumers
from .delivery import SimulatedDelivery


class SimulatedNetwork(SimulatedActivation, SimulatedConsumers, SimulatedDelivery, Network):
    name = "simulated"

    def inbound_secret(self) -> str:
        return settings.SIMULATOR_WEBHOOK_SECRET
