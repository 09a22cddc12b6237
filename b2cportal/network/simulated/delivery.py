from __future__ import annotations

from b2cportal.network.adapter import DeliveryApi


class SimulatedDelivery(DeliveryApi):
    """The simulated network's side of `DeliveryApi`."""
