"""The one error hierarchy of the network interface.

Every adapter raises only these, so callers decide on the kind, never on a network's wire format:

- `TransientNetworkError`: try again later with the same idempotency key (timeouts, HTTP 429 and
  5xx, refused or dropped connections). `retry_after` carries the network's hint in seconds.
  - `NetworkTimeout`: no answer in time, so the outcome is *unknown*: the network may have
    accepted the request. Never send blindly again; look the document up (`status`) first.
- `PermanentNetworkError`: the network refused the request (bad data, unknown reference, a rule
  of the network); retrying the same request cannot help. The message says why.
- `NotSupportedByNetwork`: this network does not offer the operation at all (the real operator
  has no FMI or digital-mailbox lookup and no API to add Swedish receiving accounts). Callers
  treat the answer as *unknown* and leave the decision to the network (see each method's
  docstring in `b2cportal.network.adapter`).
"""

from __future__ import annotations


class NetworkError(Exception):
    """The network could not serve a request; the message says why (in the network's words)."""

    transient = False  # True: nothing was taken, retry with the same idempotency key

    def __init__(self, message: str = "", *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class TransientNetworkError(NetworkError):
    """Temporary: retry later with the same idempotency key."""

    transient = True

    def __init__(
        self, message: str = "", *, code: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class NetworkTimeout(TransientNetworkError):
    """No answer in time: the network may or may not have taken the request (unknown outcome)."""


class PermanentNetworkError(NetworkError):
    """Refused for good: the same request will be refused again."""


class NotSupportedByNetwork(NetworkError):
    """The configured network does not offer this operation; treat its answer as unknown."""

    def __init__(self, operation: str, network: str = "") -> None:
        super().__init__(
            f"The network {network or 'configured'} does not support {operation}.",
            code="not_supported",
        )
        self.operation = operation
        self.network = network
