from __future__ import annotations

from b2cportal.network.adapter import ActivationApi


class SimulatedActivation(ActivationApi):
    """The simulated network's side of `ActivationApi`."""
