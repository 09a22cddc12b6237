"""The simulated network: every answer comes from tables in our own database.

Each concern lives in its own module and is mixed in here.
"""

from __future__ import annotations

from b2cportal.network.adapter import Network

from .activation import SimulatedActivation
from .consumers import SimulatedConsumers
from .delivery import SimulatedDelivery


class SimulatedNetwork(SimulatedActivation, SimulatedConsumers, SimulatedDelivery, Network):
    name = "simulated"
    is_simulated = True
