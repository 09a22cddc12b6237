"""Ask the apps above to poll the network now, without importing them.

The network is the lowest layer, so it cannot call the companies app's polling task directly.
Higher apps register a callable here (in their AppConfig.ready); the simulator pages call
`request_status_poll()` after they changed what the network will answer, so the app learns the
news through its normal polling code, just sooner.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

_pollers: list[Callable[[], None]] = []


def register_status_poller(poller: Callable[[], None]) -> None:
    """Register a callable that starts a poll of the network's activation statuses."""
    if poller not in _pollers:
        _pollers.append(poller)


def request_status_poll() -> None:
    """Start every registered poller once the current transaction commits."""
    for poller in list(_pollers):
        transaction.on_commit(poller)
