"""Ask the apps above to poll the network now, without importing them.

The network is the lowest layer, so it cannot call the companies app's polling task directly.
Higher apps register a callable here (in their AppConfig.ready); the simulator pages call
`request_status_poll()` after they changed what the network will answer, so the app learns the
news through its normal polling code, just sooner.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

_pollers: list[Callable[[], object]] = []


def register_status_poller(poller: Callable[[], object]) -> None:
    """Register a callable that starts a poll of the network's activation statuses."""
    if poller not in _pollers:
        _pollers.append(poller)


def request_status_poll() -> None:
    """Start every registered poller once the current transaction commits."""
    for poller in list(_pollers):
        transaction.on_commit(poller)


_reference_pollers: list[Callable[[str], None]] = []


def register_reference_poller(poller: Callable[[str], None]) -> None:
    """Register a callable that polls the status of one activation (by network reference) now."""
    if poller not in _reference_pollers:
        _reference_pollers.append(poller)


def poll_reference_now(reference: str) -> None:
    """Run every registered single-activation poller synchronously (call outside a transaction).

    The simulator's *Complete now* uses this so the page it redirects to already shows the
    outcome, while the app still learns it through its ordinary polling code.
    """
    for poller in list(_reference_pollers):
        poller(reference)
