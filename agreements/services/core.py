"""Shared core of the agreement services: the domain error, the transition table, locking,
creating and moving agreements (every status change writes its event in the same transaction).

Integrity rules (DESIGN §4): at most one live agreement per customer, branch and network (a
partial unique constraint); every status change writes an AgreementEvent in the same transaction;
changes to one customer's agreements are serialised by locking the customer row first, so two
concurrent events can neither lose an update nor create two live agreements.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from b2cportal.audit import services as audit
from b2cportal.audit.models import AuditAction
from b2cportal.companies.models import (
    Branch,
    Company,
)
from b2cportal.customers.models import Customer
from b2cportal.network.adapter import AgreementEvent as InboundEvent

from ..models import (
    LIVE_STATUSES,
    AgreementEvent,
    AgreementStatus,
    ConsumerAgreement,
)

# Which status may follow which. Deleted and rejected are final: a later agreement starts anew.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    AgreementStatus.NEW: {
        AgreementStatus.REQUEST_SENT,
        AgreementStatus.ACCEPTED,
        AgreementStatus.ACTIVE,
        AgreementStatus.REJECTED,
        AgreementStatus.DELETED,
        AgreementStatus.ERROR,
    },
    AgreementStatus.REQUEST_SENT: {
        AgreementStatus.REQUEST_SENT,
        AgreementStatus.ACCEPTED,
        AgreementStatus.ACTIVE,
        AgreementStatus.REJECTED,
        AgreementStatus.DELETED,
        AgreementStatus.ERROR,
    },
    AgreementStatus.ACCEPTED: {
        AgreementStatus.ACTIVE,
        AgreementStatus.REJECTED,
        AgreementStatus.DELETED,
        AgreementStatus.ERROR,
    },
    AgreementStatus.ACTIVE: {AgreementStatus.REJECTED, AgreementStatus.DELETED},
    AgreementStatus.ERROR: {
        AgreementStatus.REQUEST_SENT,
        AgreementStatus.ACCEPTED,
        AgreementStatus.ACTIVE,
        AgreementStatus.REJECTED,
        AgreementStatus.DELETED,
    },
    AgreementStatus.DELETED: set(),
    AgreementStatus.REJECTED: set(),
}
# A request that is still open and younger than this is not sent again by a mere save.


class AgreementError(Exception):
    """An agreement operation was refused; `code` tells the inbound endpoint which HTTP status."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


# --- Core: lock, create, transition ---------------------------------------------------------


def _lock_customer(customer: Customer) -> Customer:
    # Serialises every change to one customer's agreements (see module docstring).
    return Customer.objects.select_for_update().get(pk=customer.pk)


def _live_or_new(
    *,
    customer: Customer,
    branch: Branch,
    network: str,
    source: str,
    reference: str,
    actor: User | None,
) -> tuple[ConsumerAgreement, bool]:
    """The live agreement (locked), or a new one in NEW; call with the customer row locked."""
    agreement = (
        ConsumerAgreement.objects.select_for_update()
        .filter(customer=customer, branch=branch, network=network, status__in=LIVE_STATUSES)
        .first()
    )
    if agreement is not None:
        return agreement, False
    agreement = ConsumerAgreement.objects.create(
        customer=customer,
        branch=branch,
        network=network,
        status=AgreementStatus.NEW,
        source=source,
        reference=reference,
    )
    AgreementEvent.objects.create(
        agreement=agreement,
        from_status="",
        to_status=AgreementStatus.NEW,
        source=source,
        actor=actor,
    )
    _audit(agreement, actor, AuditAction.AGREEMENT_CREATED, "", AgreementStatus.NEW)
    _emit_status(agreement, "")
    return agreement, True


def _audit(
    agreement: ConsumerAgreement,
    actor: User | None,
    action: AuditAction,
    from_status: str,
    to_status: str,
) -> None:
    """What a person did to an agreement joins the audit trail (and the customer's history).

    Changes the network reports (no actor) are kept only as the agreement's own events: they
    drive the state machine and are shown on the agreements tab, and the inbound path stays
    one INSERT lighter.
    """
    if actor is None:
        return
    audit.record(
        actor=actor,
        obj=audit.Target(
            agreement, company_id=agreement.branch.company_id, parent=agreement.customer
        ),
        action=action,
        changes=[audit.Change("status", from_status, to_status)],
    )


def _emit_status(
    agreement: ConsumerAgreement, from_status: str, *, listening: bool | None = None
) -> None:
    """Tell the company's webhook endpoints (after commit) that the agreement's status changed.

    `listening`: whether the company has an active endpoint, when the caller loaded it with
    the agreement; None asks the database.
    """
    from b2cportal.webhooks.services import companies_listening, emit

    company_id = agreement.branch.company_id
    if listening is None:
        listening = bool(companies_listening([company_id]))
    if not listening:
        return
    emit(
        company=company_id,
        event_type="agreement.status_changed",
        data={
            "agreement_id": agreement.pk,
            "customer_id": agreement.customer_id,
            "customer_number": agreement.customer.number,
            "branch": agreement.branch.branch_id,
            "network": agreement.network,
            "from_status": from_status,
            "status": agreement.status,
            "source": agreement.source,
        },
    )


def _transition(
    agreement: ConsumerAgreement,
    *,
    to_status: str,
    source: str,
    actor: User | None = None,
    external_event_id: str | None = None,
    detail: dict[str, Any] | None = None,
    strict: bool = True,
    listening: bool | None = None,
) -> AgreementEvent:
    """Move a locked agreement to `to_status` and write its event.

    Not allowed and `strict`: AgreementError. Not allowed and not strict (network events that
    arrive late or out of order): the event is recorded as ignored and nothing changes.
    """
    from_status = agreement.status
    detail = dict(detail or {})
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        if strict and to_status != from_status:
            raise AgreementError(
                _("An agreement cannot go from %(from)s to %(to)s.")
                % {
                    "from": AgreementStatus(from_status).label,
                    "to": AgreementStatus(to_status).label,
                },
                code="invalid_transition",
            )
        detail["ignored"] = f"{from_status} -> {to_status}"
        to_status = from_status
    else:
        agreement.status = to_status
        agreement.save(update_fields=["status", "source", "reference", "last_updated"])
        _audit(agreement, actor, AuditAction.AGREEMENT_STATUS_CHANGED, from_status, to_status)
        _emit_status(agreement, from_status, listening=listening)
    return AgreementEvent.objects.create(
        agreement=agreement,
        from_status=from_status,
        to_status=to_status,
        source=source,
        actor=actor,
        external_event_id=external_event_id,
        detail=detail,
    )


# --- Shared by the inbound paths (events, capture) ---


@dataclass(frozen=True)
class InboundOutcome:
    result: str  # applied | ignored
    agreement_id: int | None
    status: str
    link: str = ""
    # Whose agreement it is (not sent to the network): the view settles their held invoices.
    customer_id: int | None = None
    company_id: int | None = None
    # Invoices are only ever held under *consumer route anyway* (Norway); when the company has
    # it off the view skips looking for holds (routing's periodic task still settles any left
    # from before it was switched off).
    holds_possible: bool = True

    def as_dict(self) -> dict[str, Any]:
        data = {"result": self.result, "agreement": self.agreement_id, "status": self.status}
        if self.link:
            data["link"] = self.link
        return data


def _lock_customer_of(
    company: Company, *, reference: str = "", national_id: str = "", sole_trader_orgnr: str = ""
) -> Customer:
    """Find and lock the customer an event names (by eFaktura reference, else national ID,
    else a Swedish sole trader whose organisation number is that personnummer)."""
    customers = Customer.objects.select_for_update().filter(company=company)
    customer = customers.filter(number=reference).first() if reference else None
    if customer is None and national_id:
        customer = customers.filter(national_id=national_id).first()
    if customer is None and sole_trader_orgnr:
        # Seed 004: "a company can have an SSN (social security number) as their organization
        # number"; its FMI carries that number.
        customer = (
            customers.filter(kind="business", organisation_number=sole_trader_orgnr)
            .order_by("pk")
            .first()
        )
    if customer is None:
        raise AgreementError(
            _("Unknown customer (reference %(reference)s) for this issuer.")
            % {"reference": reference or "-"},
            code="unknown_customer",
        )
    return customer


def _already_seen(event_id: str) -> None:
    if AgreementEvent.objects.filter(external_event_id=event_id).exists():
        raise AgreementError(
            _("Event %(event)s was already received.") % {"event": event_id}, code="replay"
        )


def _lock_for_event(company: Company, event: InboundEvent, **lookup: str) -> Customer:
    """Lock the event's customer, then check the event id under that lock: a concurrent
    delivery of the same event that committed while we waited is not applied twice."""
    locked = _lock_customer_of(company, **lookup)
    _already_seen(event.event_id)
    return locked
