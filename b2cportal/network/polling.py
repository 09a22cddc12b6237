"""Ask the apps above to poll the network now, without importing them.

The network is the lowest layer, so it cannot call the companies app's polling task directly.
Higher apps name their pollers through extension points (`b2cportal.extensions`):
`network_status_pollers` (callables `()`) and `network_reference_pollers` (callables
`(reference)`). The simulator pages call `request_status_poll()` after they changed what the
network will answer, so the app learns the news through its normal polling code, just sooner.
"""

from __future__ import annotations

from django.db import transaction

from b2cportal.extensions import hooks


def request_status_poll() -> None:
    """Start every status poller once the current transaction commits."""
    for poller in hooks("network_status_pollers"):
        transaction.on_commit(poller)


def poll_reference_now(reference: str) -> None:
    """Run every single-activation poller synchronously (call outside a transaction).

    The simulator's *Complete now* uses this so the page it redirects to already shows the
    outcome, while the app still learns it through its ordinary polling code.
    """
    for poller in hooks("network_reference_pollers"):
        poller(reference)
