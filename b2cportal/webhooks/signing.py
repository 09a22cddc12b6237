"""Standard Webhooks signatures (https://www.standardwebhooks.com/, spec "Verifying webhooks").

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the signature is HMAC-SHA256
with the secret (the base64 after `whsec_`), base64-encoded and sent as `v1,<signature>` in
`webhook-signature` (several space-separated signatures are allowed when a secret rotates).
A small implementation of the spec, tested against the spec's example vectors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


class SignatureError(ValueError):
    """The webhook's signature or timestamp does not verify."""


def new_secret() -> str:
    """A fresh signing secret: `whsec_` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def _key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        secret = secret[len(SECRET_PREFIX) :]
    return base64.b64decode(secret)


def sign(*, secret: str, msg_id: str, timestamp: int, body: str | bytes) -> str:
    """The `webhook-signature` value (`v1,<base64 HMAC-SHA256>`)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    content = f"{msg_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(*, secret: str, msg_id: str, timestamp: int, body: str | bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
        "content-type": "application/json",
    }


def verify(
    *, secret: str, headers: dict[str, str], body: str | bytes, now: float | None = None
) -> None:
    """Raise SignatureError unless one of the signatures matches and the timestamp is fresh."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id = lower["webhook-id"]
        timestamp = int(lower["webhook-timestamp"])
        received = lower["webhook-signature"].split(" ")
    except (KeyError, ValueError) as exc:
        raise SignatureError("missing or malformed webhook headers") from exc
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError("timestamp outside the tolerance")
    expected = sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body).split(",", 1)[1]
    for candidate in received:
        version, _sep, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return
    raise SignatureError("no matching signature")
