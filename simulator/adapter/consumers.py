"""The simulated network's side of `ConsumerApi`, and its consumers' actions.

Consumers act in their online bank (accept/reject an eFaktura agreement, join or cancel an FMI,
pay with a KID). A real network then calls the issuer's signed inbound endpoint. The simulated
one does the same through `deliver_agreement_event`: it signs the event exactly like a real
network and hands a genuine HTTP request to the view that owns the inbound path.

Why in-process dispatch and not an HTTP POST to SITE_URL: the simulator runs inside the same
deployment, so a loop-back HTTP call would tie a web worker up waiting on another one (a
single-worker dev server would deadlock), and SITE_URL is often not the address the server can
reach (tests, proxies). Resolving the path with `django.urls.resolve` and calling the view with a
real, signed `WSGIRequest` goes through the same code a network call takes (signature check,
payload validation, service) without importing the app that owns it: this layer only knows the
path, like a real network only knows the webhook URL it was given.
"""

from __future__ import annotations

import io
import json
import unicodedata
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.handlers.wsgi import WSGIRequest
from django.core.mail import send_mail
from django.db import transaction
from django.urls import resolve, reverse
from django.utils import timezone

from b2cportal.network.adapter import ConsumerApi, EFakturaLookup, PermanentNetworkError
from b2cportal.network.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers
from simulator.models import ConsumerLink, EFakturaReceiver, MessageChannel, OutboundMessage

# Where the issuer receives agreement events; a real network is configured with this URL too.
AGREEMENT_WEBHOOK_PATH = "/agreements/inbound/"
BANK_TOKEN_SALT = "simulator.bank-link"
# A consumer link works once, and for at most a week.
CONSUMER_LINK_MAX_AGE = 60 * 60 * 24 * 7


def _normalise_name(value: str) -> str:
    folded = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(folded.split())


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


class SimulatedConsumers(ConsumerApi):
    """The simulated network's side of `ConsumerApi`."""

    def agreement_acceptance_link(
        self,
        *,
        issuer_organisation_number: str,
        issuer_name: str,
        branch_reference: str,
        customer_reference: str,
        source: str = "online_bank",
    ) -> str:
        link = ConsumerLink.objects.create(
            issuer=issuer_organisation_number,
            offer={
                "issuer": issuer_organisation_number,
                "issuer_name": issuer_name,
                "branch": branch_reference,
                "ref": customer_reference,
                "source": source,
            },
        )
        token = signing.TimestampSigner(salt=BANK_TOKEN_SALT).sign(str(link.token))
        path = reverse("simulator_consumers:bank", args=[token])
        return settings.SITE_URL.rstrip("/") + path

    def send_consumer_message(
        self,
        *,
        channel: str,
        recipient: str,
        text: str,
        subject: str = "",
        link: str = "",
        purpose: str = "",
    ) -> str:
        if channel not in MessageChannel.values:
            raise PermanentNetworkError(f"Unknown message channel {channel!r}")
        if not recipient:
            raise PermanentNetworkError("A message needs a recipient")
        message = OutboundMessage.objects.create(
            channel=channel, recipient=recipient, body=text, link=link, purpose=purpose
        )
        if channel == MessageChannel.EMAIL:
            # Email requests really go out (file/SMTP backend per EMAIL_URL) as well as on record.
            send_mail(subject or purpose, text, None, [recipient])
        return f"sim-msg-{message.pk}"

    def find_efaktura_receiver(
        self,
        *,
        issuer_organisation_number: str,
        national_id: str = "",
        mobile: str = "",
        email: str = "",
        name: str = "",
        postcode: str = "",
    ) -> EFakturaLookup | None:
        receivers = EFakturaReceiver.objects.filter(always_efaktura=True)
        match: tuple[str, ...] = ()
        found = None
        if national_id:
            found = receivers.filter(national_id=_digits(national_id)).first()
            if found is not None:
                match = ("national_id",)
        if found is None and name and postcode and (mobile or email):
            # Without a national ID the directory needs a contact point plus name and address.
            candidates = []
            if mobile:
                candidates += [(r, "mobile") for r in receivers.filter(mobile=mobile)]
            if email:
                candidates += [(r, "email") for r in receivers.filter(email__iexact=email)]
            for receiver, via in candidates:
                if (
                    _normalise_name(receiver.name) == _normalise_name(name)
                    and receiver.postcode.strip() == postcode.strip()
                ):
                    found, match = receiver, (via, "name", "postcode")
                    break
        if found is None:
            return None
        blocked = issuer_organisation_number in (found.blocked_issuers or [])
        return EFakturaLookup(matched_on=match, blocked=blocked)


class ConsumerLinkError(Exception):
    """A consumer link that cannot be used: `reason` is invalid, expired or used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_consumer_link(token: str) -> ConsumerLink:
    """The link a consumer's token names, if it is genuine, younger than a week and unused."""
    try:
        key = signing.TimestampSigner(salt=BANK_TOKEN_SALT).unsign(
            token, max_age=CONSUMER_LINK_MAX_AGE
        )
    except signing.SignatureExpired as exc:
        raise ConsumerLinkError("expired") from exc
    except signing.BadSignature as exc:
        raise ConsumerLinkError("invalid") from exc
    try:
        link = ConsumerLink.objects.get(token=uuid.UUID(key))
    except (ValueError, ConsumerLink.DoesNotExist) as exc:
        raise ConsumerLinkError("invalid") from exc
    if link.used_at is not None:
        raise ConsumerLinkError("used")
    return link


def use_consumer_link(link: ConsumerLink, *, action: str) -> None:
    """Record the one use of a link; raises ConsumerLinkError("used") if it was used already
    (also by a simultaneous click)."""
    with transaction.atomic():
        claimed = ConsumerLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            used_at=timezone.now(), used_for=action
        )
    if not claimed:
        raise ConsumerLinkError("used")


@dataclass(frozen=True)
class DeliveryResult:
    status_code: int
    body: dict


def new_event_id() -> str:
    return f"sim-{uuid.uuid4()}"


def deliver_agreement_event(event: dict, *, path: str | None = None) -> DeliveryResult:
    """Sign `event` and hand it to the issuer's inbound endpoint, as a real network would."""
    body = json.dumps(event).encode("utf-8")
    # The simulator's own secret: it never holds the production NETWORK_WEBHOOK_SECRET.
    headers = signed_headers(secret=settings.SIMULATOR_WEBHOOK_SECRET, body=body)
    target = path or AGREEMENT_WEBHOOK_PATH
    site = urlsplit(settings.SITE_URL)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": target,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": site.hostname or "localhost",
        "SERVER_PORT": str(site.port or (443 if site.scheme == "https" else 80)),
        "HTTP_HOST": site.netloc or "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": site.scheme or "http",
        "HTTP_" + TIMESTAMP_HEADER.upper().replace("-", "_"): headers[TIMESTAMP_HEADER],
        "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"): headers[SIGNATURE_HEADER],
    }
    request = WSGIRequest(environ)
    match = resolve(target)
    response = match.func(request, *match.args, **match.kwargs)
    try:
        payload = json.loads(response.content or b"{}")
    except ValueError:
        payload = {"error": response.content.decode("utf-8", "replace")}
    return DeliveryResult(status_code=response.status_code, body=payload)


# What a consumer's choice in the online bank means on the network: accepting is two steps
# (the bank confirms the consent, then the agreement goes live), rejecting is one.
BANK_ACTIONS: dict[str, tuple[str, ...]] = {
    "accept": ("accepted", "activated"),
    "reject": ("rejected",),
}


@dataclass(frozen=True)
class OfferResponse:
    results: tuple[DeliveryResult, ...]

    @property
    def failed(self) -> DeliveryResult | None:
        return next((r for r in self.results if r.status_code != 200), None)

    @property
    def status(self) -> str:
        return self.results[-1].body.get("status", "") if self.results else ""


def respond_to_agreement_offer(*, offer: dict, action: str) -> OfferResponse:
    """The consumer accepts or rejects an eFaktura offer (`ConsumerLink.offer`) in the bank;
    each resulting network event goes to the issuer's signed endpoint. Stops at the first
    refusal. Raises ValueError for an action other than accept/reject."""
    if action not in BANK_ACTIONS:
        raise ValueError(f"unknown bank action {action!r}")
    base = {
        "issuer": offer["issuer"],
        "branch": offer["branch"],
        "customer_reference": offer["ref"],
        "source": offer.get("source", "online_bank"),
    }
    results: list[DeliveryResult] = []
    for kind in BANK_ACTIONS[action]:
        result = deliver_agreement_event({"event_id": new_event_id(), "type": kind, **base})
        results.append(result)
        if result.status_code != 200:
            break
    return OfferResponse(results=tuple(results))
