"""Encryption at rest of the operator credentials (the user API key), with `cryptography`.

The key comes from the environment (`OPERATOR_CREDENTIALS_KEY`: Fernet keys, comma separated,
newest first, so a key can be rotated: new values are encrypted with the first, old ones still
decrypt). In development without the variable a key is derived from `SECRET_KEY`, so the demo
works; production refuses to start without it (settings).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsError(Exception):
    """A stored credential cannot be decrypted (the key changed or the value was altered)."""


def _fernet() -> MultiFernet:
    raw = [key.strip() for key in settings.OPERATOR_CREDENTIALS_KEY.split(",") if key.strip()]
    if not raw:
        digest = hashlib.sha256(f"operator-credentials:{settings.SECRET_KEY}".encode()).digest()
        raw = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in raw])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialsError(
            "The stored API key cannot be decrypted with OPERATOR_CREDENTIALS_KEY"
        ) from exc
