"""Signing of the network's inbound webhooks: HMAC-SHA256 over `timestamp + "." + body`.

Both sides use this module: the (simulated) network signs what it sends, our inbound endpoint
verifies it. It lives in the network layer because it is part of the network's protocol, and the
lowest layer is the one everybody may import.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Network-Timestamp"
SIGNATURE_HEADER = "X-Network-Signature"
# A signed request older (or further in the future) than this is refused as a possible replay.
MAX_AGE_SECONDS = 5 * 60


def compute_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `timestamp.body` under `secret`."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(*, secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The two headers a sender adds to a webhook request."""
    timestamp = str(int(now if now is not None else time.time()))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: compute_signature(secret=secret, timestamp=timestamp, body=body),
    }


class SignatureError(Exception):
    """The request is not signed, signed wrongly, or too old."""


def verify(
    *, secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None
) -> None:
    """Raise SignatureError unless the signature is ours and the timestamp is fresh."""
    if not timestamp or not signature:
        raise SignatureError("missing signature headers")
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise SignatureError("timestamp is not a number") from exc
    expected = compute_signature(secret=secret, timestamp=timestamp, body=body)
    # Compare first so a wrong signature and a stale one are told apart only for genuine senders.
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise SignatureError("bad signature")
    current = now if now is not None else time.time()
    if abs(current - sent_at) > MAX_AGE_SECONDS:
        raise SignatureError("stale timestamp")
