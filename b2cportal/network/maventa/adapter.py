"""`MaventaNetwork`: the network interface served by the operator's REST API.

With this adapter the operator routes (DESIGN §5 "Who routes"): we send every invoice to it with
the constraints of our route decision, and read back the channel it used. What the operator
cannot do for us (FMI and mailbox lookups, messages to consumers, the national registers,
activating AutoInvoice B2C, adding receiving accounts) raises `NotSupportedByOperator` with the
reason in words; callers treat that as "unknown" and leave the decision to the operator.

Credentials are per company. The network layer knows no models, so the companies app names a
provider (the `operator_credentials_providers` extension point, `b2cportal.extensions`) that
returns a company's `OperatorCredentials`.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from b2cportal.extensions import hooks
from b2cportal.network.adapter import (
    ActivationState,
    ActivationStatus,
    EFakturaLookup,
    Mailbox,
    Network,
    NotSupportedByNetwork,
    OutgoingDocument,
    ParticipantKind,
    PermanentNetworkError,
    PostalAddress,
    Receipt,
    ReceiptStatus,
    RerouteTo,
    Service,
)

from .client import MaventaClient, OperatorCredentials


def _credentials_of(company) -> OperatorCredentials | None:
    """The company's credentials from the first provider that has them (company -> or None)."""
    for provider in hooks("operator_credentials_providers"):
        credentials = provider(company)
        if credentials is not None:
            return credentials
    return None


class NotSupportedByOperator(NotSupportedByNetwork):
    """The operator's API has no operation for this; the message says so in words."""

    def __init__(self, operation: str, words: str):
        super().__init__(operation, "maventa")
        self.args = (words,)


class NoOperatorConnection(PermanentNetworkError):
    """The company has no (usable) operator connection."""


# What the operator's B2CNO service states mean for our activation (the enum is public).
B2CNO_STATES = {
    "ACTIVE": ActivationStatus.ACTIVE,
    "FREE": ActivationStatus.PENDING,
    "RESERVED": ActivationStatus.PENDING,
    "FAULT": ActivationStatus.REJECTED,
    "ERROR": ActivationStatus.REJECTED,
}
# B2CSE agreement statuses are not public: these words are read as such; anything else is
# UNKNOWN, shown as the operator wrote it (`raw_status`), never taken as an outcome.
B2CSE_ACTIVE_WORDS = {"ACTIVE", "ACTIVATED", "APPROVED", "COMPLETED", "DONE", "OK"}
B2CSE_REJECTED_WORDS = {"REJECTED", "DENIED", "DECLINED", "FAILED", "ERROR", "CANCELLED"}


@dataclass(frozen=True)
class OperatorSend:
    """One invoice for `POST /v1/invoices`, with the constraints of our route decision."""

    uuid: str  # our document UUID
    number: str  # our invoice number: how a send is found again after a timeout
    ubl: bytes
    pdf: bytes | None = None  # sent as a ZIP with the UBL when given (consumer channels)
    recipient_type: str = "b2b"  # b2b | consumer
    route_order: list[str] = field(default_factory=list)
    disabled_routes: list[str] = field(default_factory=list)
    recipient_ssn: str = ""
    recipient_email: str = ""
    recipient_eia: str = ""
    b2cno_document_type: str = ""
    lang: str = ""

    def form_fields(self) -> dict[str, str | list[str]]:
        fields: dict[str, str | list[str]] = {
            "format": "PEPPOLBIS30",
            "recipient_type": self.recipient_type,
            "route_order": list(self.route_order),
            "disabled_routes": list(self.disabled_routes),
            "recipient_ssn": self.recipient_ssn,
            "recipient_email": self.recipient_email,
            "recipient_eia": self.recipient_eia,
            "b2cno_document_type": self.b2cno_document_type,
            "lang": self.lang,
        }
        return {key: value for key, value in fields.items() if value}

    def file(self) -> tuple[str, bytes, str]:
        if self.pdf is None:
            return f"{self.number}.xml", self.ubl, "application/xml"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{self.number}.xml", self.ubl)
            archive.writestr(f"{self.number}.pdf", self.pdf)
        return f"{self.number}.zip", buffer.getvalue(), "application/zip"


@dataclass(frozen=True)
class OperatorOutcome:
    """The operator's view of one sent invoice.

    `status` is PENDING, DELIVERED or FAILED (as the operator says); `channel` the channel of
    the last SENT/DELIVERED action (EINVOICE, EMAIL, PRINT, SCAN); `message` the operator's
    words on that action or on the error.
    """

    operator_id: str
    status: str
    channel: str = ""
    message: str = ""
    actions: list[dict] = field(default_factory=list)


def outcome_from(invoice: dict, actions: list[dict]) -> OperatorOutcome:
    status = str(invoice.get("status") or "PENDING")
    channel, message = "", ""
    for action in sorted(actions, key=lambda a: str(a.get("happened_at", ""))):
        kind = action.get("type")
        if kind in ("SENT", "DELIVERED") and action.get("channel"):
            channel = str(action["channel"])
            message = str(action.get("message") or message)
        elif kind == "ERROR":
            message = str(action.get("message") or message)
    return OperatorOutcome(
        operator_id=str(invoice.get("id", "")),
        status=status,
        channel=channel,
        message=message,
        actions=actions,
    )


class MaventaNetwork(Network):
    name = "maventa"
    is_simulated = False
    routes_itself = True  # DESIGN §5: the operator routes, holds and bills

    def __init__(self, credentials: OperatorCredentials | None = None):
        self.credentials = credentials
        self._client: MaventaClient | None = None

    @classmethod
    def for_company(cls, company=None) -> MaventaNetwork:
        if company is None:
            return cls(None)  # no company: only calls that need no credentials work
        creds = _credentials_of(company)
        if creds is None:
            raise NoOperatorConnection(
                f"{company} has no operator connection (Settings → Operator connection)."
            )
        return cls(creds)

    def client(self) -> MaventaClient:
        """One HTTP client (and its connection pool) per adapter instance."""
        if self.credentials is None:
            raise NoOperatorConnection("The operator adapter needs a company's credentials.")
        if self._client is None:
            self._client = MaventaClient(self.credentials, timeout=settings.MAVENTA_TIMEOUT_SECONDS)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- delivery ----------------------------------------------------------------------------

    def send(self, document: OperatorSend) -> str:
        """POST the invoice; returns the operator's invoice id. A timeout raises OperatorTimeout
        (the send is unknown until `find_sent` answers); never resend blindly."""
        name, content, content_type = document.file()
        client = self.client()
        created = client.send_invoice(
            file_name=name,
            content=content,
            content_type=content_type,
            uuid=document.uuid,
            fields=document.form_fields(),
        )
        return str(created.get("id", ""))

    def find_sent(
        self, *, number: str, operator_id: str = "", since: datetime | None = None
    ) -> str | None:
        """The operator's id of an invoice we sent, or None if it never arrived.

        Whether the operator's id equals our uuid is not public, and the invoice entity has no
        uuid field; our invoice number is unique per company, so it finds the send.
        """
        client = self.client()
        if operator_id:
            rows = client.list_sent_invoices(ids=[operator_id])
            if rows:
                return str(rows[0].get("id", ""))
        rows = client.list_sent_invoices(number=number, created_at_start=since)
        rows = [row for row in rows if row.get("number") == number]
        if not rows:
            return None
        rows.sort(key=lambda row: str(row.get("created_at", "")))
        return str(rows[-1].get("id", ""))

    def outcome(self, operator_id: str) -> OperatorOutcome:
        client = self.client()
        invoice = client.get_invoice(operator_id)
        actions = client.invoice_actions(operator_id) if invoice.get("status") else []
        return outcome_from(invoice, actions or invoice.get("actions") or [])

    def outcomes(self, operator_ids: list[str]) -> dict[str, str]:
        """operator id -> status for up to 100 ids in one call (the daily backstop)."""
        client = self.client()
        rows = client.list_sent_invoices(ids=operator_ids, per_page=len(operator_ids))
        return {str(row.get("id")): str(row.get("status", "")) for row in rows}

    def sent_since(self, since: datetime, *, page: int = 1, per_page: int = 100) -> list[dict]:
        client = self.client()
        return client.list_sent_invoices(created_at_start=since, page=page, per_page=per_page)

    def reroute(
        self,
        network_id: str,
        *,
        route: RerouteTo,
        email: str = "",
        address: PostalAddress | None = None,
    ) -> None:
        """`PUT /v1/invoices/{id}/reroute/email|print` for a FAILED invoice: the operator
        delivers it on that route and reports it in the invoice's actions."""
        client = self.client()
        if route == RerouteTo.EMAIL:
            client.reroute_email(network_id, recipient_email=email)
        elif route == RerouteTo.PRINT and address is not None:
            client.reroute_print(
                network_id,
                address={
                    "recipient_name": address.name,
                    "recipient_address1": address.line1,
                    "recipient_address2": address.line2,
                    "recipient_post_code": address.postcode,
                    "recipient_post_office": address.city,
                    "recipient_country": address.country,
                },
            )
        else:
            raise ValueError(f"cannot re-route to {route!r} without its address")

    def register_notifications(self, *, destination: str, events: list[str]) -> str:
        client = self.client()
        return str(client.register_webhook(destination=destination, events=events).get("id"))

    # --- activation --------------------------------------------------------------------------

    def register_name(self, *, country: str, organisation_number: str) -> str | None:
        raise NotSupportedByOperator(
            "register lookups", "The operator offers no national register lookup."
        )

    def submit_activation(
        self,
        *,
        service: str,
        organisation_number: str,
        company_name: str,
        payload: dict,
        idempotency_key: str = "",
    ) -> str:
        if self.credentials is None:
            raise NoOperatorConnection("The operator adapter needs a company's credentials.")
        if service == Service.B2CNO:
            # There is no REST activation of AutoInvoice B2C: the operator switches it on once
            # the company has ordered it and accepted the terms. Nothing is sent; the reference
            # names the company, and polling reads `GET /v1/services/b2cno` until it is ACTIVE.
            return f"b2cno:{self.credentials.company_uuid}"
        client = self.client()
        client.request_b2cse_agreement(
            account_number=str(payload.get("account_number", "")).replace("-", ""),
            account_type=(
                "PlusGiro"
                if str(payload.get("account_type", "")).lower().startswith("plus")
                else "BankGiro"
            ),
            fui=payload.get("fui", ""),
            agreement_id=payload.get("agreement_id", ""),
        )
        return f"b2cse:{self.credentials.company_uuid}"

    def activation_status(self, reference: str) -> ActivationState:
        service = reference.split(":", 1)[0]
        client = self.client()
        if service == Service.B2CNO:
            raw = client.b2cno_status()
            status = B2CNO_STATES.get(raw, ActivationStatus.UNKNOWN)
            return ActivationState(
                reference=reference,
                status=status,
                error=raw if status == ActivationStatus.REJECTED else "",
                raw_status=raw,
            )
        agreement = client.b2cse_agreement()
        if agreement is None:
            raise PermanentNetworkError("The operator has no B2CSE agreement for this company.")
        raw = str(agreement.get("status") or "")
        word = raw.upper()
        if word in B2CSE_ACTIVE_WORDS:
            status = ActivationStatus.ACTIVE
        elif word in B2CSE_REJECTED_WORDS:
            status = ActivationStatus.REJECTED
        elif word in ("", "PENDING", "NEW", "IN_PROGRESS", "PROCESSING", "REQUESTED"):
            status = ActivationStatus.PENDING
        else:
            status = ActivationStatus.UNKNOWN
        return ActivationState(
            reference=reference,
            status=status,
            fui=str(agreement.get("fui") or ""),
            agreement_id=str(agreement.get("agreement_id") or ""),
            error=raw if status == ActivationStatus.REJECTED else "",
            raw_status=raw,
        )

    def deactivate(self, reference: str) -> None:
        raise NotSupportedByOperator(
            "deactivation", "The operator's API cannot switch a service off."
        )

    def add_receiving_account(
        self, reference: str, *, account_type: str, account_number: str
    ) -> None:
        raise NotSupportedByOperator(
            "receiving accounts",
            "The operator's API cannot add receiving accounts; ask the operator's support.",
        )

    # --- consumers ---------------------------------------------------------------------------

    def agreement_acceptance_link(self, **kwargs) -> str:
        raise NotSupportedByOperator(
            "agreement links", "The operator sends no agreement requests through its API."
        )

    def send_consumer_message(self, **kwargs) -> str:
        raise NotSupportedByOperator(
            "consumer messages", "The operator's API sends no SMS or email to consumers."
        )

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
        """`GET /v1/lookup/consumers` (eFaktura "Ja takk til alle", route `yes2all`)."""
        first, _sep, last = name.rpartition(" ")
        client = self.client()
        found = client.lookup_consumer(
            ssn=national_id,
            phone_number=mobile if not national_id else "",
            email=email if not national_id else "",
            first_name=first if not national_id else "",
            last_name=last if not national_id else "",
            postal_code=postcode if not national_id else "",
        )
        route = ((found or {}).get("routes") or {}).get("yes2all") or {}
        if route.get("status") != "RECEIVING":
            return None
        matched = (
            ("national_id",)
            if national_id
            else tuple(
                key
                for key, value in (
                    ("mobile", mobile),
                    ("email", email),
                    ("name", name),
                    ("postcode", postcode),
                )
                if value
            )
        )
        return EFakturaLookup(matched_on=matched, blocked=False)

    def b2cno_consumers(self, *, statuses: list[str] | None = None) -> list[dict]:
        """`GET /v1/services/b2cno/consumers` — marked "DEPRECATED 2025" by the operator."""
        client = self.client()
        return client.b2cno_consumers(statuses=statuses or [])

    # --- directories -------------------------------------------------------------------------

    def lookup_participants(self, identifiers: list[str]) -> dict[str, set[ParticipantKind]]:
        """Peppol receivers by organisation number (`GET /v1/lookup/endpoints`, 10 at a time)."""
        found: dict[str, set[ParticipantKind]] = {}
        client = self.client()
        for start in range(0, len(identifiers), 10):
            for row in client.lookup_endpoints(identifiers[start : start + 10]):
                if "PEPPOL" in (row.get("sending") or []):
                    found.setdefault(str(row.get("bid")), set()).add(ParticipantKind.PEPPOL)
        return found

    def lookup_peppol_receiver(self, eia: str) -> bool:
        client = self.client()
        return bool(client.lookup_receivers(eia=eia))

    def lookup_fmi(self, ssns: list[str], issuer_fui: str = "") -> set[str]:
        raise NotSupportedByOperator(
            "FMI lookups",
            "The operator has no FMI lookup: it routes Swedish consumer invoices itself.",
        )

    def lookup_mailboxes(self, ssns: list[str]) -> dict[str, set[Mailbox]]:
        raise NotSupportedByOperator(
            "digital mailbox lookups",
            "The operator has no Kivra/Billo lookup: it routes Swedish consumer invoices itself.",
        )

    def deliver(self, document: OutgoingDocument) -> Receipt:
        """The interface's delivery: `hints` carry the constraints (OperatorSend's fields)."""
        hints: dict[str, Any] = dict(document.hints or {})
        allowed = set(OperatorSend.__dataclass_fields__) - {"uuid", "number", "ubl", "pdf"}
        operator_id = self.send(
            OperatorSend(
                uuid=document.external_id,
                number=document.document_number,
                ubl=document.content,
                pdf=document.pdf or None,
                **{key: value for key, value in hints.items() if key in allowed},
            )
        )
        return Receipt(
            external_id=document.external_id,
            status=ReceiptStatus.ACCEPTED,
            detail="Accepted by the operator",
            network_id=operator_id,
        )

    def status(self, external_id: str) -> Receipt | None:
        raise NotSupportedByOperator(
            "document status",
            "The operator cannot find an invoice by our uuid alone (its invoices carry no uuid "
            "field); routing looks it up by invoice number (find_sent).",
        )

    def parse_inbound(self, request):
        raise NotSupportedByOperator(
            "inbound agreement events",
            "The operator sends no agreement events; its webhooks only hint at invoice changes.",
        )
