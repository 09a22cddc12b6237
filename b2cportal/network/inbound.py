"""Inbound agreement traffic from a network, as our own event types.

A network tells us about consumers' agreements (Norway eFaktura: accepted, activated, rejected,
deleted; Sweden: an FMI created or cancelled; a KID payment to an agreement-capture account).
Each adapter turns its own wire format into `AgreementEvent`s in `Network.parse_inbound`; the
agreements app only ever sees these.

The signed-JSON protocol (`parse_signed_json_events`) is ours: a JSON object per request with
the fields of `AgreementEvent`, signed with HMAC-SHA256 (`b2cportal.network.signing`). A direct
network uses it with `NETWORK_WEBHOOK_SECRET`; the simulated network with its own secret.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from enum import StrEnum

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify


class AgreementEventType(StrEnum):
    ACCEPTED = "accepted"  # Norway: the consumer accepted in the online bank
    ACTIVATED = "activated"  # Norway: the agreement is live at the bank
    REJECTED = "rejected"  # Norway: declined
    DELETED = "deleted"  # Norway: ended by the consumer or the bank
    FMI_CREATED = "fmi_created"  # Sweden: the consumer joined through the onboarding page
    FMI_CANCELLED = "fmi_cancelled"  # Sweden
    CAPTURE_PAYMENT = "capture_payment"  # Norway: a KID payment to an agreement-capture BBAN


NORWAY_EVENT_TYPES = (
    AgreementEventType.ACCEPTED,
    AgreementEventType.ACTIVATED,
    AgreementEventType.REJECTED,
    AgreementEventType.DELETED,
)
SWEDEN_EVENT_TYPES = (AgreementEventType.FMI_CREATED, AgreementEventType.FMI_CANCELLED)


@dataclass(frozen=True)
class AgreementEvent:
    """One agreement event from the network. `event_id` is unique per network event: a repeat
    is recognised and answered as a replay. Which fields are set depends on `type`:

    - Norway (`NORWAY_EVENT_TYPES`): `issuer` (organisation number), `branch`, and
      `customer_reference` and/or `national_id`; `source` (`online_bank`/`agreement_capture`);
    - Sweden (`SWEDEN_EVENT_TYPES`): `fmi` (personnummer.bank.SE) and `issuer_fui`;
    - `capture_payment`: `account` (BBAN), `kid`, `amount`, `payer_name`.
    """

    event_id: str
    type: AgreementEventType
    issuer: str = ""
    branch: str = ""
    customer_reference: str = ""
    national_id: str = ""
    source: str = ""
    fmi: str = ""
    issuer_fui: str = ""
    account: str = ""
    kid: str = ""
    amount: Decimal | None = None
    payer_name: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class InboundError(Exception):
    """An inbound request we refuse before any event is applied.

    `code`: `unauthorized` (signature missing, wrong or stale: HTTP 401) or `malformed` (HTTP
    400; `fields` holds the field errors).
    """

    def __init__(self, message: str, *, code: str, fields: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.fields = fields or {}

    @property
    def http_status(self) -> int:
        return 401 if self.code == "unauthorized" else 400


# Where the consumer acted, as the network reports it (`AgreementEvent.source`).
SOURCES = (
    "online_bank",
    "agreement_capture",
    "request_sms",
    "request_email",
    "jtta",
    "fmi_onboarding",
)


# The fields of one event of the signed-JSON protocol. Django's form fields validate them; no
# Form is instantiated because each would deep-copy all thirteen fields for every event.
_EVENT_FIELDS: dict[str, forms.Field] = {
    "event_id": forms.CharField(max_length=100),
    "type": forms.ChoiceField(choices=[(t.value, t.value) for t in AgreementEventType]),
    "issuer": forms.CharField(max_length=20, required=False),
    "branch": forms.CharField(max_length=30, required=False),
    "customer_reference": forms.CharField(max_length=30, required=False),
    "national_id": forms.CharField(max_length=12, required=False),
    "source": forms.ChoiceField(required=False, choices=[("", "")] + [(s, s) for s in SOURCES]),
    "fmi": forms.CharField(max_length=40, required=False),
    "issuer_fui": forms.CharField(max_length=40, required=False),
    "account": forms.CharField(max_length=20, required=False),
    "kid": forms.CharField(max_length=25, required=False),
    "amount": forms.DecimalField(max_digits=14, decimal_places=2, required=False),
    "payer_name": forms.CharField(max_length=200, required=False),
}
# What each event type needs besides its id.
_REQUIRED_FOR_TYPE = {
    **{t.value: ("issuer", "branch") for t in NORWAY_EVENT_TYPES},
    **{t.value: ("fmi", "issuer_fui") for t in SWEDEN_EVENT_TYPES},
    AgreementEventType.CAPTURE_PAYMENT.value: ("account", "kid"),
}


def parse_event_data(data: object) -> AgreementEvent:
    """One event of the signed-JSON protocol from its decoded JSON; raises InboundError with
    every field's errors."""
    if not isinstance(data, dict):
        raise InboundError(_("The body must be a JSON object."), code="malformed")
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for name, field in _EVENT_FIELDS.items():
        try:
            cleaned[name] = field.clean(data.get(name))
        except ValidationError as exc:
            errors[name] = exc.messages
    kind = cleaned.get("type", "")
    for name in _REQUIRED_FOR_TYPE.get(kind, ()):
        if name not in errors and not cleaned.get(name):
            errors[name] = [_("This field is required for %(type)s events.") % {"type": kind}]
    if kind in NORWAY_EVENT_TYPES and not (
        cleaned.get("customer_reference") or cleaned.get("national_id")
    ):
        errors.setdefault("customer_reference", []).append(
            _("A customer reference or national ID is required.")
        )
    if errors:
        raise InboundError(_("Invalid event."), code="malformed", fields=errors)
    cleaned["type"] = AgreementEventType(kind)
    return AgreementEvent(**cleaned)


def parse_signed_json_events(request, *, secret: str) -> list[AgreementEvent]:
    """Verify the signature of `request` under `secret` and parse its one event."""
    body = request.body
    try:
        verify(
            secret=secret,
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
            body=body,
            now=None,
        )
    except SignatureError as exc:
        raise InboundError(str(exc), code="unauthorized") from exc
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InboundError(_("The body is not JSON."), code="malformed") from exc
    return [parse_event_data(data)]
