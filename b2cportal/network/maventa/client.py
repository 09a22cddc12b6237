"""HTTP client for the operator's REST API (Maventa / AutoInvoice AutoXChange).

One `MaventaClient` talks for one company (its credentials). It knows the wire: OAuth2 client
credentials, JSON and multipart bodies, the operator's error body `{code, message, details}`;
it knows nothing of our models. Every method is one HTTP operation of the published contract
(`shared/operator/maventa-autoxchange-0.85.550.yaml`), which the tests check against a fake
operator that validates every request and response.

Errors:
- `OperatorTransientError`: 429, 5xx, or the operator could not be reached (nothing was sent);
  retry later with the same uuid (`retry_after` seconds when the operator said so).
- `OperatorTimeout`: the request left but no answer came: the operator may have acted on it.
  For a send, the invoice is *unknown* until it is looked up; never resent blindly.
- `OperatorPermanentError`: any other 4xx; the operator's code, message and details in words.

The access token is cached per company (Django cache, so every worker shares it) until shortly
before it expires; a 401 on a call drops it and fetches a new one once.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from django.core.cache import cache

from b2cportal.network.errors import (
    NetworkError,
    NetworkTimeout,
    PermanentNetworkError,
    TransientNetworkError,
)

logger = logging.getLogger(__name__)

HOSTS = {
    "production": "https://ax.maventa.com",
    "testing": "https://ax-stage.maventa.com",
}
# invoice:send/receive for invoices, company:read/write for services and notifications, lookup
# for the directories. A token asked for without a scope would only get `global company`.
SCOPES = "invoice:send invoice:receive company:read company:write lookup"
TOKEN_MARGIN_SECONDS = 120
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
MAX_IDS_PER_LIST = 100  # GET /v1/invoices?ids=… takes at most 100 ids
MAX_BUSINESS_IDS = 10  # GET /v1/lookup/endpoints?business_ids=… takes at most 10


class OperatorError(NetworkError):
    """The operator refused or failed a request; `str()` says why in words."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        details: Iterable[str] = (),
        retry_after: float | None = None,
    ):
        NetworkError.__init__(self, message, code=code)
        self.status = status
        self.details = list(details)
        self.retry_after = retry_after


class OperatorTransientError(OperatorError, TransientNetworkError):
    """Worth retrying later: rate limited, operator down, or not reachable."""


class OperatorTimeout(OperatorTransientError, NetworkTimeout):
    """The request was sent but no answer came in time: the operator may have acted on it."""


class OperatorPermanentError(OperatorError, PermanentNetworkError):
    """The operator said no (4xx other than 429); retrying the same request will not help."""


@dataclass(frozen=True)
class OperatorCredentials:
    """What the token endpoint needs for one company. `api_key` is the user API key."""

    company_uuid: str
    api_key: str
    vendor_api_key: str = ""
    environment: str = "testing"
    base_url: str = ""  # overrides the environment's host (tests, the fake operator)

    @property
    def url(self) -> str:
        return (self.base_url or HOSTS[self.environment]).rstrip("/")

    @property
    def cache_key(self) -> str:
        # The key changes with the credentials, so a new API key never reuses an old token.
        digest = hashlib.sha256(
            f"{self.url}|{self.company_uuid}|{self.api_key}|{self.vendor_api_key}".encode()
        ).hexdigest()[:32]
        return f"maventa:token:{digest}"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def describe_error(response: httpx.Response) -> tuple[str, str, list[str]]:
    """(message in words, code, details) from the operator's error body, whatever it holds."""
    code, message, details = "", "", []
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body.get("code") or "")
        message = str(body.get("message") or "")
        raw = body.get("details") or []
        details = [str(item) for item in raw] if isinstance(raw, list) else [str(raw)]
    if not message:
        message = response.reason_phrase or f"HTTP {response.status_code}"
    words = message
    if details:
        words += " (" + "; ".join(details) + ")"
    if code:
        words += f" [{code}]"
    return f"{response.status_code}: {words}", code, details


def _csv(values: Iterable[str]) -> str:
    """Array query parameters are `style: form, explode: false` in the contract: a,b,c."""
    return ",".join(values)


class MaventaClient:
    """One company's session with the operator."""

    def __init__(
        self,
        credentials: OperatorCredentials,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ):
        self.credentials = credentials
        self._http = httpx.Client(
            base_url=credentials.url,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "b2cportal"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MaventaClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- transport ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the operator: safe to retry.
            raise OperatorTransientError(f"The operator could not be reached: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise OperatorTimeout(f"The operator did not answer in time ({method} {path})") from exc
        except httpx.TransportError as exc:
            # The connection broke after the request may have left: like a timeout.
            raise OperatorTimeout(f"The connection to the operator broke: {exc}") from exc

    @staticmethod
    def _raise_for_status(response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        words, code, details = describe_error(response)
        status = response.status_code
        if status == 429 or status >= 500:
            raise OperatorTransientError(
                words,
                status=status,
                code=code,
                details=details,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        raise OperatorPermanentError(words, status=status, code=code, details=details)

    # --- token -------------------------------------------------------------------------------

    def fetch_token(self) -> str:
        """A fresh access token from `POST /oauth2/token` (and cache it)."""
        creds = self.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": creds.company_uuid,
            "client_secret": creds.api_key,
            "scope": SCOPES,
        }
        if creds.vendor_api_key:
            form["vendor_api_key"] = creds.vendor_api_key
        response = self._send("POST", "/oauth2/token", data=form)
        self._raise_for_status(response)
        body = response.json()
        token = body["access_token"]
        lifetime = int(body.get("expires_in") or 0)
        ttl = lifetime - TOKEN_MARGIN_SECONDS if lifetime > 2 * TOKEN_MARGIN_SECONDS else None
        if ttl is None:
            ttl = max(1, lifetime // 2)
        cache.set(creds.cache_key, token, ttl)
        return token

    def token(self) -> str:
        return cache.get(self.credentials.cache_key) or self.fetch_token()

    def forget_token(self) -> None:
        cache.delete(self.credentials.cache_key)

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """An authenticated call; a 401 fetches a new token and tries once more."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token()}"}
            response = self._send(method, path, headers=headers, **kwargs)
            if response.status_code == 401 and attempt == 1:
                logger.info("operator answered 401 on %s %s: new token", method, path)
                self.forget_token()
                continue
            self._raise_for_status(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _json(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, path, **kwargs)
        if not response.content:
            return None
        return response.json()

    # --- who am I ----------------------------------------------------------------------------

    def current(self) -> dict:
        """`GET /oauth2/current`: the user and company the credentials belong to."""
        return self._json("GET", "/oauth2/current")

    def authenticated_status(self) -> dict:
        """`GET /status/authenticated`: the client id and when the token expires."""
        return self._json("GET", "/status/authenticated")

    # --- invoices ----------------------------------------------------------------------------

    def send_invoice(
        self,
        *,
        file_name: str,
        content: bytes,
        content_type: str,
        uuid: str,
        fields: dict[str, str | list[str]],
    ) -> dict:
        """`POST /v1/invoices` (multipart). `fields` are the contract's form fields besides
        `file` and `uuid` (format, recipient_type, route_order, …); lists repeat the field."""
        data: dict[str, str | list[str]] = {"uuid": uuid}
        data.update({key: value for key, value in fields.items() if value not in ("", None, [])})
        return self._json(
            "POST",
            "/v1/invoices",
            data=data,
            files={"file": (file_name, content, content_type)},
        )

    def get_invoice(self, invoice_id: str) -> dict:
        return self._json("GET", f"/v1/invoices/{invoice_id}")

    def invoice_actions(self, invoice_id: str) -> list[dict]:
        return self._json("GET", f"/v1/invoices/{invoice_id}/actions") or []

    def list_sent_invoices(
        self,
        *,
        ids: Iterable[str] = (),
        number: str = "",
        statuses: Iterable[str] = (),
        created_at_start: datetime | None = None,
        page: int = 1,
        per_page: int = 100,
    ) -> list[dict]:
        """`GET /v1/invoices?direction=SENT&…` (at most 100 ids per call)."""
        ids = list(ids)
        if len(ids) > MAX_IDS_PER_LIST:
            raise ValueError(f"at most {MAX_IDS_PER_LIST} ids per call")
        params: dict[str, str | int] = {"direction": "SENT", "page": page, "per_page": per_page}
        if ids:
            params["ids"] = _csv(ids)
        if number:
            params["number"] = number
        statuses = list(statuses)
        if statuses:
            params["status"] = _csv(statuses)
        if created_at_start is not None:
            params["created_at_start"] = (
                created_at_start.astimezone(UTC).isoformat().replace("+00:00", "Z")
            )
        return self._json("GET", "/v1/invoices", params=params) or []

    def reroute_email(self, invoice_id: str, *, recipient_email: str) -> None:
        self.request(
            "PUT",
            f"/v1/invoices/{invoice_id}/reroute/email",
            json={"recipient_email": recipient_email},
        )

    def reroute_print(self, invoice_id: str, *, address: dict[str, str]) -> None:
        """`address`: recipient_name, recipient_address1, recipient_post_code,
        recipient_post_office, recipient_country (ISO 3166-1 alpha-2), optional others."""
        self.request(
            "PUT",
            f"/v1/invoices/{invoice_id}/reroute/print",
            json={key: value for key, value in address.items() if value},
        )

    # --- services ----------------------------------------------------------------------------

    def b2cno_status(self) -> str:
        """`GET /v1/services/b2cno` → ACTIVE, FREE, RESERVED, FAULT or ERROR."""
        return str((self._json("GET", "/v1/services/b2cno") or {}).get("status", ""))

    def b2cno_consumers(
        self, *, query: str = "", statuses: Iterable[str] = (), page: int = 1, per_page: int = 100
    ) -> list[dict]:
        """`GET /v1/services/b2cno/consumers` (marked "DEPRECATED 2025" by the operator)."""
        params: dict[str, str | int] = {"page": page, "per_page": per_page}
        if query:
            params["query"] = query
        statuses = list(statuses)
        if statuses:
            params["status"] = _csv(statuses)
        return self._json("GET", "/v1/services/b2cno/consumers", params=params) or []

    def b2cse_agreement(self) -> dict | None:
        """`GET /v1/services/b2cse/agreement`, or None when there is none (404)."""
        try:
            return self._json("GET", "/v1/services/b2cse/agreement") or {}
        except OperatorPermanentError as exc:
            if exc.status == 404:
                return None
            raise

    def request_b2cse_agreement(
        self,
        *,
        account_number: str,
        account_type: str,
        fui: str = "",
        agreement_id: str = "",
        website: str = "",
    ) -> None:
        """`POST /v1/services/b2cse/agreement` (204). fui and agreement_id go together."""
        body = {"account_number": account_number, "account_type": account_type}
        if fui and agreement_id:
            body.update(fui=fui, agreement_id=agreement_id)
        if website:
            body["website"] = website
        self.request("POST", "/v1/services/b2cse/agreement", json=body)

    # --- notifications -----------------------------------------------------------------------

    def notifications(self) -> list[dict]:
        return self._json("GET", "/v1/company/notifications") or []

    def register_webhook(self, *, destination: str, events: list[str]) -> dict:
        return self._json(
            "POST",
            "/v1/company/notifications",
            json={"destination_type": "WEBHOOK", "destination": destination, "events": events},
        )

    # --- lookups -----------------------------------------------------------------------------

    def lookup_consumer(
        self,
        *,
        ssn: str = "",
        phone_number: str = "",
        email: str = "",
        first_name: str = "",
        last_name: str = "",
        postal_code: str = "",
        routes: Iterable[str] = ("yes2all",),
    ) -> dict:
        params = {
            key: value
            for key, value in {
                "ssn": ssn,
                "phone_number": phone_number,
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
                "postal_code": postal_code,
            }.items()
            if value
        }
        params["routes"] = _csv(routes)
        return self._json("GET", "/v1/lookup/consumers", params=params) or {}

    def lookup_receivers(self, *, eia: str, networks: Iterable[str] = ("PEPPOL",)) -> list[dict]:
        params = {"network": _csv(networks), "eia": eia}
        return self._json("GET", "/v1/lookup/receivers", params=params) or []

    def lookup_endpoints(self, business_ids: Iterable[str], *, country: str = "") -> list[dict]:
        ids = list(business_ids)
        if len(ids) > MAX_BUSINESS_IDS:
            raise ValueError(f"at most {MAX_BUSINESS_IDS} business ids per call")
        params = {"business_ids": _csv(ids)}
        if country:
            params["country"] = country
        return self._json("GET", "/v1/lookup/endpoints", params=params) or []
