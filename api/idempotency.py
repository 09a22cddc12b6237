"""`Idempotency-Key` on every POST: the same key and body get the first answer again.

The key is claimed before the work starts (a row per company and key, unique in the
database), so concurrent requests with one key do the work once: the others wait for the first
answer and replay it. The same key with another method, path or body is 409. Only answers of
requests that ran are stored (2xx, 409, 422); an answer saying the input, key, scope or object
was wrong gives the key back, so the corrected request can use it.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from . import services

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
STORED_STATUSES = frozenset({409, 422})
REPLAYED_HEADERS = ("Location",)


class _Replay(Exception):
    def __init__(self, record) -> None:
        super().__init__(record.key)
        self.record = record


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    data = request.data
    files: Any = getattr(request, "FILES", None) or {}
    if hasattr(data, "lists"):
        # Form or multipart: fields in a stable order, files by content.
        fields = sorted((k, v) for k, values in data.lists() if k not in files for v in values)
        digest.update(json.dumps(fields, cls=JSONEncoder).encode())
        for name in sorted(files):
            for upload in files.getlist(name):
                digest.update(f"\n{name}:{upload.name}:".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        # JSON: key order and whitespace do not make a different request.
        digest.update(json.dumps(data, cls=JSONEncoder, sort_keys=True).encode())
    return digest.hexdigest()


def _as_json(data):
    return json.loads(json.dumps(data, cls=JSONEncoder)) if data is not None else None


if TYPE_CHECKING:
    from rest_framework.views import APIView

    _ViewBase = APIView
else:
    _ViewBase = object


class IdempotentMixin(_ViewBase):
    """For API views: honour `Idempotency-Key` on POST (after authentication and scopes)."""

    _idempotency_record = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency_record = None
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
            raise exceptions.ValidationError(
                {
                    HEADER: [
                        _("The Idempotency-Key must be 1 to %(max)s printable ASCII characters.")
                        % {"max": MAX_KEY_LENGTH}
                    ]
                }
            )
        reservation = services.reserve_idempotency_key(
            company=request.auth.company,
            api_key=request.auth,
            key=key,
            fingerprint=_fingerprint(request),
        )
        if not reservation.created:
            raise _Replay(reservation.record)
        self._idempotency_record = reservation.record

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            record = exc.record
            response = Response(record.response_body, status=record.status_code)
            for name, value in (record.response_headers or {}).items():
                response[name] = value
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            return super().handle_exception(exc)
        except Exception:
            self._give_back()
            raise

    def _give_back(self) -> None:
        if self._idempotency_record is not None:
            services.release_idempotency_key(record=self._idempotency_record)
            self._idempotency_record = None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = self._idempotency_record
        if record is None:
            return response
        code = response.status_code
        if isinstance(response, Response) and (200 <= code < 300 or code in STORED_STATUSES):
            self._idempotency_record = None
            services.complete_idempotency_key(
                record=record,
                status_code=code,
                body=_as_json(response.data),
                headers={h: response[h] for h in REPLAYED_HEADERS if response.has_header(h)},
            )
        else:
            self._give_back()
        return response
