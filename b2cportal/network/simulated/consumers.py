from __future__ import annotations

from b2cportal.network.adapter import ConsumerApi


class SimulatedConsumers(ConsumerApi):
    """The simulated network's side of `ConsumerApi`."""
