"""The route decision: pure, explainable, and independent of the database.

`decide(inputs)` walks the routing order of DESIGN §1 (the seeds' "How is the invoice
routed"): internal network → Peppol → (Sweden) operator network → Norway eFaktura / Sweden
B2CSE (bank via FMI, then Billo, then Kivra) → fallback email/print. Every rule it checks lands
in the trace with the inputs it looked at and its outcome, so the invoice screen can explain
the choice before and after sending. All lookups are done beforehand by
`routing.selectors.load_route_inputs`, which keeps this function testable with plain data;
`routing.services.decide_route(invoice)` is the one-invoice entry point that loads them.

Norway, *consumer route anyway* (seed 000, Customer ledger preferences): the invoice goes to the
bank "provided that the customer accepts the e-invoicing agreement request within 3 days". So it
is held only while that acceptance is still possible — the agreement is NEW (the agreements app
creates it together with the queued request), REQUEST_SENT, or ACCEPTED (waiting for the bank to
activate it). A REJECTED or DELETED agreement (declined, or blocked via JTTA), an ERROR (the
request could not be delivered), or no agreement row at all (no request was ever queued: the
agreements app writes the row in the same transaction that queues the request, so "none" never
means "about to be sent") routes at once to email or print, and the trace says which.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agreements.models import AgreementStatus
from b2cportal.companies.models import Country
from b2cportal.customers.models import CustomerKind

# Swedish B2C channels need the invoice at least this many days before its due date.
SE_B2C_MIN_DAYS_BEFORE_DUE = 3
# Norway, consumer route anyway: the invoice waits this many days for the agreement.
NORWAY_HOLD_DAYS = 3
# Agreement statuses under which the consumer can still accept within the hold: wait for them.
NORWAY_PENDING_AGREEMENT = frozenset(
    {AgreementStatus.NEW, AgreementStatus.REQUEST_SENT, AgreementStatus.ACCEPTED}
)
# Agreement statuses that end the wait at once (declined / blocked via JTTA / request failed).
NORWAY_DECLINED_AGREEMENT = frozenset({AgreementStatus.REJECTED, AgreementStatus.DELETED})
NORWAY_FAILED_AGREEMENT = frozenset({AgreementStatus.ERROR})


class Channel(models.TextChoices):
    INTERNAL = "internal", _("Internal network")
    PEPPOL = "peppol", _("Peppol")
    OPERATOR_SE = "operator_se", _("Swedish operator network (InExchange/NEA)")
    EFAKTURA_NO = "efaktura_no", _("eFaktura to online bank (Norway)")
    BANK_SE = "bank_se", _("E-invoice to online bank (Sweden, FMI)")
    BILLO = "billo", _("Billo")
    KIVRA = "kivra", _("Kivra")
    EMAIL = "email", pgettext_lazy("delivery channel", "Email")
    PRINT = "print", pgettext_lazy("delivery channel", "Print")


class BillingAction(models.TextChoices):
    INTERNAL = "INTERNAL", _("Internal network")
    PEPPOL = "PEPPOL", _("Peppol")
    OPERATOR_SE = "OPERATOR_SE", _("Swedish operator network")
    EINVOICE_BANK_B2C_NO = "EINVOICE_BANK_B2C_NO", _("eFaktura to online bank (Norway)")
    EINVOICE_BANK_B2C_SECO = "EINVOICE_BANK_B2C_SECO", _("E-invoice to online bank (Sweden)")
    EINVOICE_B2C_SECO_BILLO = "EINVOICE_B2C_SECO_BILLO", _("Billo (Sweden)")
    EINVOICE_B2C_SECO_KIVRA = "EINVOICE_B2C_SECO_KIVRA", _("Kivra (Sweden)")
    EMAIL = "EMAIL", pgettext_lazy("delivery channel", "Email")
    PRINT = "PRINT", pgettext_lazy("delivery channel", "Print")


class DocumentFormat(models.TextChoices):
    UBL = "ubl", _("UBL (Peppol BIS Billing 3.0 / EHF 3.0)")
    PDF = "pdf", _("PDF")
    PDF_AND_UBL = "pdf_ubl", _("PDF with UBL attached")


BILLING_FOR_CHANNEL = {
    Channel.INTERNAL: BillingAction.INTERNAL,
    Channel.PEPPOL: BillingAction.PEPPOL,
    Channel.OPERATOR_SE: BillingAction.OPERATOR_SE,
    Channel.EFAKTURA_NO: BillingAction.EINVOICE_BANK_B2C_NO,
    Channel.BANK_SE: BillingAction.EINVOICE_BANK_B2C_SECO,
    Channel.BILLO: BillingAction.EINVOICE_B2C_SECO_BILLO,
    Channel.KIVRA: BillingAction.EINVOICE_B2C_SECO_KIVRA,
    Channel.EMAIL: BillingAction.EMAIL,
    Channel.PRINT: BillingAction.PRINT,
}


# Channels the network adapter carries; email and print have transports of their own.
class Outcome(models.TextChoices):
    PASSED = "passed", _("passed")
    FAILED = "failed", _("failed")
    CHOSEN = "chosen", _("chosen")
    SKIPPED = "skipped", _("not applicable")


# Human labels for each rule; the trace stores the code, the screen shows the label.
RULE_LABELS = {
    "delivery_method": _("Customer's delivery method"),
    "inexchange_forced": _(
        "InExchange customer: prevent routing all sent invoices through InExchange"
    ),
    "internal": _("Internal network participant"),
    "peppol": _("Peppol directory"),
    "operator_se": _("Swedish operator address book (InExchange/NEA)"),
    "norway_consumer": _("Norway: consumer e-invoice customer"),
    "norway_service_active": _("Norway: AutoInvoice B2C service active"),
    "norway_agreement": _("Norway: active eFaktura agreement"),
    "norway_consumer_route_anyway": _('Norway: "consumer route" anyway'),
    "norway_agreement_pending": _("Norway: agreement request open, wait up to 3 days"),
    "norway_agreement_declined": _(
        "Norway: agreement rejected or deleted (declined or blocked via JTTA), no wait"
    ),
    "norway_agreement_error": _("Norway: agreement request failed (error), no wait"),
    "norway_agreement_missing": _("Norway: no agreement request exists, no wait"),
    "se_consumer": _(
        "Sweden: consumer, or sole trader whose organisation number is a personnummer (B2CSE)"
    ),
    "se_service_active": _("Sweden: B2CSE service active"),
    "se_ssn": _("Sweden: personal identity number (SSN) present"),
    "se_not_credit_note": _("Sweden: not a credit note"),
    "se_due_date": _(
        "Sweden, 3-day rule: sent at least 3 days before the due date "
        "(online bank, Billo and Kivra)"
    ),
    "se_fmi": _("Sweden: active FMI (online bank)"),
    "se_billo": _("Sweden: Billo account"),
    "se_kivra": _("Sweden: Kivra account"),
    "norway_hold_expired": _("Norway: agreement accepted within 3 days"),
    "norway_hold_released": _("Norway: agreement became active, hold released"),
    "fallback_email": _("Fallback: email"),
    "fallback_print": _("Fallback: print"),
    "channel_failed": _("Delivery on this channel failed: next channel"),
    "transport_failed": _("Delivery failed on the chosen channel"),
    "manual_reroute": _("Re-routed by hand"),
}


@dataclass(frozen=True)
class RouteInputs:
    """Everything the decision looks at, loaded up front (see `selectors.load_route_inputs`)."""

    country: str  # the sender company's country, NO or SE
    customer_kind: str = CustomerKind.CONSUMER
    customer_country: str = ""
    endpoint_id: str = ""  # org number (business) or SSN (Swedish consumer) for directories
    has_national_id: bool = False  # a valid SSN / fødselsnummer on the customer
    is_credit_note: bool = False
    days_until_due: int | None = None
    delivery_method: str = "autoinvoice"  # customer's: autoinvoice | email | print
    b2cno_active: bool = False
    b2cse_active: bool = False
    einvoice_norway: bool = False  # customer: "Send invoice to AutoInvoice as e-Invoice"
    norway_agreement_status: str | None = None  # the live NO eFaktura agreement's status
    consumer_route_anyway: bool = False
    prevent_routing_through_inexchange: bool = True
    is_inexchange_customer: bool = False  # the sender is also a customer of InExchange (SE)
    # Sweden: a business customer whose organisation number is a personnummer (enskild firma)
    # reaches the B2C channels like a consumer (seed 004); `has_national_id` is that number.
    sole_trader: bool = False
    internal_participant: bool = False
    peppol_participant: bool = False
    operator_participant: bool = False
    fmi_active: bool = False
    billo_account: bool = False
    kivra_account: bool = False
    fallback_order: str = "email_then_print"  # email_then_print | print_only | email_only
    email: str = ""
    has_postal_address: bool = False
    do_not_send_pdf_by_email: bool = False
    # Channels a delivery already failed on: the decision moves on to the next one allowed.
    excluded_channels: frozenset[str] = frozenset()


@dataclass
class TraceStep:
    rule: str
    inputs: dict[str, Any]
    outcome: str
    note: str = ""


@dataclass
class RouteDecision:
    """The chosen channel (None when no channel is possible) and how we got there."""

    channel: str | None
    billing_action: str | None
    document_format: str | None
    hold: bool = False
    hold_days: int = 0
    trace: list[TraceStep] = field(default_factory=list)
    error: str = ""

    @property
    def channel_label(self) -> str:
        return str(Channel(self.channel).label) if self.channel else ""

    @property
    def is_deliverable(self) -> bool:
        return self.channel is not None

    def trace_json(self) -> list[dict[str, Any]]:
        return [asdict(step) for step in self.trace]


def _format_for(channel: str, inputs: RouteInputs) -> str:
    if channel == Channel.PRINT:
        return DocumentFormat.PDF
    if channel == Channel.EMAIL:
        return DocumentFormat.UBL if inputs.do_not_send_pdf_by_email else DocumentFormat.PDF_AND_UBL
    return DocumentFormat.UBL


def _masked(inputs: RouteInputs) -> str:
    """A consumer's endpoint is their national ID: the trace keeps only the birth date part."""
    value = inputs.endpoint_id
    if inputs.customer_kind == CustomerKind.CONSUMER and len(value) > 6:
        return value[:-4] + "****"
    return value


class _Walk:
    def __init__(self, inputs: RouteInputs) -> None:
        self.inputs = inputs
        self.trace: list[TraceStep] = []
        self.endpoint = _masked(inputs)

    def check(self, rule: str, ok: bool, note: str = "", **inputs: Any) -> bool:
        self.trace.append(TraceStep(rule, inputs, Outcome.PASSED if ok else Outcome.FAILED, note))
        return ok

    def allowed(self, channel: str) -> bool:
        """False (and a trace step) when a delivery already failed on `channel`."""
        if channel not in self.inputs.excluded_channels:
            return True
        self.trace.append(TraceStep("channel_failed", {"channel": channel}, Outcome.FAILED))
        return False

    def choose(self, channel: str, *, hold: bool = False, note: str = "") -> RouteDecision:
        self.trace.append(TraceStep(f"chosen:{channel}", {}, Outcome.CHOSEN, note))
        return RouteDecision(
            channel=channel,
            billing_action=BILLING_FOR_CHANNEL[Channel(channel)],
            document_format=_format_for(channel, self.inputs),
            hold=hold,
            hold_days=NORWAY_HOLD_DAYS if hold else 0,
            trace=self.trace,
        )


def decide(inputs: RouteInputs) -> RouteDecision:
    """Pick the best channel for one invoice and explain every rule checked."""
    walk = _Walk(inputs)
    i = inputs

    # The customer asked for paper or email only: AutoInvoice does just that.
    if i.delivery_method in ("email", "print"):
        walk.check("delivery_method", False, delivery_method=i.delivery_method)
        return _fallback(walk, only=i.delivery_method)
    walk.check("delivery_method", True, delivery_method=i.delivery_method)

    # Sweden: a sender that is also a customer of InExchange, with *prevent routing* off, has
    # everything forced through InExchange without trying the other routes (seed 004, the note
    # on InExchange customers). Other senders are never forced.
    if i.country == Country.SWEDEN and not walk.check(
        "inexchange_forced",
        not i.is_inexchange_customer or i.prevent_routing_through_inexchange,
        is_inexchange_customer=i.is_inexchange_customer,
        prevent_routing_through_inexchange=i.prevent_routing_through_inexchange,
    ):
        return walk.choose(Channel.OPERATOR_SE, note="forced through InExchange")

    if walk.check(
        "internal", i.internal_participant, endpoint_id=walk.endpoint, found=i.internal_participant
    ):
        return walk.choose(Channel.INTERNAL)
    if walk.check(
        "peppol", i.peppol_participant, endpoint_id=walk.endpoint, found=i.peppol_participant
    ):
        return walk.choose(Channel.PEPPOL)
    if i.country == Country.SWEDEN and walk.check(
        "operator_se",
        i.operator_participant,
        endpoint_id=walk.endpoint,
        found=i.operator_participant,
    ):
        return walk.choose(Channel.OPERATOR_SE)

    decision = _norway(walk) if i.country == Country.NORWAY else _sweden(walk)
    return decision or _fallback(walk)


def _norway(walk: _Walk) -> RouteDecision | None:
    i = walk.inputs
    if not walk.check(
        "norway_consumer",
        i.customer_kind == CustomerKind.CONSUMER and i.einvoice_norway,
        customer_kind=i.customer_kind,
        einvoice_norway=i.einvoice_norway,
    ):
        return None
    if not walk.check("norway_service_active", i.b2cno_active, b2cno_active=i.b2cno_active):
        return None
    if not walk.allowed(Channel.EFAKTURA_NO):
        return None
    if walk.check(
        "norway_agreement",
        i.norway_agreement_status == AgreementStatus.ACTIVE,
        agreement_status=i.norway_agreement_status or "",
    ):
        return walk.choose(Channel.EFAKTURA_NO)
    if not walk.check(
        "norway_consumer_route_anyway",
        i.consumer_route_anyway,
        consumer_route_anyway=i.consumer_route_anyway,
    ):
        return None
    status = i.norway_agreement_status or ""
    if status in NORWAY_PENDING_AGREEMENT:
        walk.check(
            "norway_agreement_pending", True, agreement_status=status, hold_days=NORWAY_HOLD_DAYS
        )
        return walk.choose(Channel.EFAKTURA_NO, hold=True, note="held for the agreement")
    # Nothing left to wait for: the fallback runs now, and the trace names the reason.
    walk.check(norway_wait_rule(status), False, agreement_status=status)
    return None


def norway_wait_rule(status: str) -> str:
    """The trace rule explaining why a Norwegian hold does not (or no longer) wait."""
    if status in NORWAY_DECLINED_AGREEMENT:
        return "norway_agreement_declined"
    if status in NORWAY_FAILED_AGREEMENT:
        return "norway_agreement_error"
    return "norway_agreement_missing"


def _sweden(walk: _Walk) -> RouteDecision | None:
    i = walk.inputs
    if not walk.check(
        "se_consumer",
        i.customer_kind == CustomerKind.CONSUMER or i.sole_trader,
        customer_kind=i.customer_kind,
        sole_trader=i.sole_trader,
    ):
        return None
    if not walk.check("se_service_active", i.b2cse_active, b2cse_active=i.b2cse_active):
        return None
    if not walk.check("se_ssn", i.has_national_id, has_ssn=i.has_national_id):
        return None
    if not walk.check("se_not_credit_note", not i.is_credit_note, is_credit_note=i.is_credit_note):
        return None
    # The 3-day rule (seed 004, "Requirements for e-invoices sent to netbank and Kivra"): read
    # as a rule of the whole B2CSE route, so Billo too (README, "The 3-day rule's scope").
    if not walk.check(
        "se_due_date",
        i.days_until_due is not None and i.days_until_due >= SE_B2C_MIN_DAYS_BEFORE_DUE,
        days_until_due=i.days_until_due,
        minimum=SE_B2C_MIN_DAYS_BEFORE_DUE,
        applies_to="bank, billo, kivra",
    ):
        return None
    if walk.check("se_fmi", i.fmi_active, fmi_active=i.fmi_active) and walk.allowed(
        Channel.BANK_SE
    ):
        return walk.choose(Channel.BANK_SE)
    # Billo has priority over Kivra when the consumer has both (seed 004).
    if walk.check("se_billo", i.billo_account, billo_account=i.billo_account) and walk.allowed(
        Channel.BILLO
    ):
        return walk.choose(Channel.BILLO)
    if walk.check("se_kivra", i.kivra_account, kivra_account=i.kivra_account) and walk.allowed(
        Channel.KIVRA
    ):
        return walk.choose(Channel.KIVRA)
    return None


def _fallback(walk: _Walk, only: str | None = None) -> RouteDecision:
    """Email then print, by the sender's fallback order and the contact data present."""
    i = walk.inputs
    order = {
        "email_then_print": ["email", "print"],
        "email_only": ["email"],
        "print_only": ["print"],
    }.get(i.fallback_order, ["email", "print"])
    if only:
        order = [only]
    for step in order:
        if step == "email" and walk.check(
            "fallback_email",
            bool(i.email),
            has_email=bool(i.email),
            fallback_order=i.fallback_order,
        ):
            return walk.choose(Channel.EMAIL)
        if step == "print" and walk.check(
            "fallback_print",
            i.has_postal_address,
            has_postal_address=i.has_postal_address,
            fallback_order=i.fallback_order,
        ):
            return walk.choose(Channel.PRINT)
    return RouteDecision(
        channel=None,
        billing_action=None,
        document_format=None,
        trace=walk.trace,
        error=str(_("No channel: the customer has no email address and no postal address.")),
    )


def rule_label(rule: str) -> str:
    if rule.startswith("chosen:"):
        return str(_("Chosen: %(channel)s") % {"channel": Channel(rule[7:]).label})
    return str(RULE_LABELS.get(rule, rule))


def decide_after_hold(inputs: RouteInputs, *, expired: bool = True) -> RouteDecision:
    """A hold ends without an active agreement: email if there is an address, else print.

    `expired` is the three days running out; otherwise the agreement was declined, deleted or
    failed while the invoice waited, and the trace says so instead.
    """
    walk = _Walk(inputs)
    if expired:
        walk.check("norway_hold_expired", False, hold_days=NORWAY_HOLD_DAYS)
    else:
        status = inputs.norway_agreement_status or ""
        walk.check(norway_wait_rule(status), False, agreement_status=status)
    return _fallback(walk)
