"""Every write about consumer agreements. Each service owns its transaction.

Integrity rules (DESIGN §4): at most one live agreement per customer, branch and network (a
partial unique constraint); every status change writes an AgreementEvent in the same transaction;
changes to one customer's agreements are serialised by locking the customer row first, so two
concurrent events can neither lose an update nor create two live agreements.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from b2cportal.companies.models import (
    Branch,
    Company,
    Country,
    NorwayActivationStatus,
    NorwayB2CActivation,
    SwedenB2CActivation,
)
from b2cportal.customers.models import Customer
from b2cportal.identifiers import customer_number_from_kid, is_valid_kid, parse_fmi
from b2cportal.network.adapter import NetworkError, get_network

from .models import (
    LIVE_STATUSES,
    AgreementEvent,
    AgreementNetwork,
    AgreementRequest,
    AgreementSource,
    AgreementStatus,
    ConsumerAgreement,
    EventSource,
    RequestChannel,
    RequestStatus,
)
from .selectors import active_norway_branches, ledger_preferences
from .sms import get_sms_backend

logger = logging.getLogger(__name__)

S = AgreementStatus
# Which status may follow which. Deleted and rejected are final: a later agreement starts anew.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.REQUEST_SENT, S.ACCEPTED, S.ACTIVE, S.REJECTED, S.DELETED, S.ERROR},
    S.REQUEST_SENT: {S.REQUEST_SENT, S.ACCEPTED, S.ACTIVE, S.REJECTED, S.DELETED, S.ERROR},
    S.ACCEPTED: {S.ACTIVE, S.REJECTED, S.DELETED, S.ERROR},
    S.ACTIVE: {S.REJECTED, S.DELETED},
    S.ERROR: {S.REQUEST_SENT, S.ACCEPTED, S.ACTIVE, S.REJECTED, S.DELETED},
    S.DELETED: set(),
    S.REJECTED: set(),
}
# A request that is still open and younger than this is not sent again by a mere save.
REQUEST_QUIET_PERIOD = timedelta(hours=24)
OPEN_REQUEST_STATUSES = (RequestStatus.QUEUED, RequestStatus.SENDING, RequestStatus.SENT)


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
    actor: AbstractBaseUser | None,
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
    return agreement, True


def _transition(
    agreement: ConsumerAgreement,
    *,
    to_status: str,
    source: str,
    actor: AbstractBaseUser | None = None,
    external_event_id: str | None = None,
    detail: dict | None = None,
    strict: bool = True,
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
                % {"from": S(from_status).label, "to": S(to_status).label},
                code="invalid_transition",
            )
        detail["ignored"] = f"{from_status} -> {to_status}"
        to_status = from_status
    else:
        agreement.status = to_status
        agreement.save(update_fields=["status", "source", "reference", "last_updated"])
    return AgreementEvent.objects.create(
        agreement=agreement,
        from_status=from_status,
        to_status=to_status,
        source=source,
        actor=actor,
        external_event_id=external_event_id,
        detail=detail,
    )


# --- 1. Agreement requests (Norway) ---------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    channel: str
    recipient: str


def consumer_contact(*, customer: Customer) -> Contact:
    """SMS to the mobile number (the phone field the ledger preferences name), else email."""
    prefs = ledger_preferences(company=customer.company)
    mobile = customer.mobile_number(prefs.mobile_phone_field).strip()
    if mobile:
        return Contact(RequestChannel.SMS, mobile)
    if customer.email:
        return Contact(RequestChannel.EMAIL, customer.email)
    raise AgreementError(
        _("Customer %(number)s has neither a mobile number nor an email address.")
        % {"number": customer.number},
        code="no_contact",
    )


def _request_branches(*, customer: Customer, current_branch: Branch | None) -> list[Branch]:
    company = customer.company
    active = active_norway_branches(company=company)
    if not active:
        raise AgreementError(
            _("No branch of %(company)s has an active B2C service.") % {"company": company.name},
            code="no_service",
        )
    if ledger_preferences(company=company).send_agreement_current_branch_only:
        chosen = [b for b in active if current_branch is not None and b.pk == current_branch.pk]
        if not chosen:
            raise AgreementError(
                _("The current branch has no active B2C service."), code="no_service"
            )
        return chosen
    return active


def _open_request(agreement: ConsumerAgreement) -> AgreementRequest | None:
    since = timezone.now() - REQUEST_QUIET_PERIOD
    return (
        agreement.requests.filter(status__in=OPEN_REQUEST_STATUSES, created_at__gte=since)
        .order_by("-created_at")
        .first()
    )


def request_agreements_for_customer(
    *,
    customer: Customer,
    acting_user: AbstractBaseUser | None,
    current_branch: Branch | None,
    resend: bool = False,
) -> list[AgreementRequest]:
    """Ask a Norwegian consumer (SMS, else email) to accept eFaktura, per branch in scope.

    A branch whose agreement is accepted or active gets nothing; one with a request younger than
    24 hours gets nothing either unless `resend` (an explicit support action).
    """
    if customer.company.country != Country.NORWAY or customer.country != Country.NORWAY:
        raise AgreementError(
            _("Agreement requests are only sent to Norwegian customers."), code="not_norwegian"
        )
    contact = consumer_contact(customer=customer)
    branches = _request_branches(customer=customer, current_branch=current_branch)
    source = (
        AgreementSource.REQUEST_SMS
        if contact.channel == RequestChannel.SMS
        else AgreementSource.REQUEST_EMAIL
    )
    created: list[AgreementRequest] = []
    with transaction.atomic():
        locked = _lock_customer(customer)
        for branch in branches:
            agreement, _new = _live_or_new(
                customer=locked,
                branch=branch,
                network=AgreementNetwork.NO_EFAKTURA,
                source=source,
                reference=locked.number,
                actor=acting_user,
            )
            if agreement.status in (AgreementStatus.ACCEPTED, AgreementStatus.ACTIVE):
                continue
            if not resend and _open_request(agreement) is not None:
                continue
            created.append(
                AgreementRequest.objects.create(
                    agreement=agreement,
                    channel=contact.channel,
                    recipient=contact.recipient,
                    requested_by=acting_user,
                )
            )
        ids = [r.pk for r in created]
        if ids:
            from .tasks import send_agreement_request

            for pk in ids:
                send_agreement_request.delay_on_commit(pk)
    return created


def handle_customer_saved(
    *, customer: Customer, acting_user: AbstractBaseUser | None, current_branch: Branch | None
) -> list[AgreementRequest]:
    """Call after saving a customer: requests agreements when e-invoice (Norway) is on.

    Safe to call on every save: nothing is sent when the option is off, when an agreement is
    already active, or while a request younger than 24 hours is open. Never raises for missing
    prerequisites (the customer form validates those); returns the requests queued.
    """
    if not customer.einvoice_norway:
        return []
    try:
        return request_agreements_for_customer(
            customer=customer, acting_user=acting_user, current_branch=current_branch
        )
    except AgreementError as exc:
        logger.info("No agreement request for customer %s: %s", customer.pk, exc)
        return []


def resend_agreement_request(
    *, agreement: ConsumerAgreement, acting_user: AbstractBaseUser | None
) -> AgreementRequest:
    """Send the agreement request for one agreement again (support action; no quiet period)."""
    if agreement.network != AgreementNetwork.NO_EFAKTURA:
        raise AgreementError(_("Only eFaktura agreements are requested by SMS or email."))
    customer = agreement.customer
    contact = consumer_contact(customer=customer)
    with transaction.atomic():
        _lock_customer(customer)
        locked = ConsumerAgreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status in (AgreementStatus.ACCEPTED, AgreementStatus.ACTIVE):
            raise AgreementError(_("This agreement is already accepted; nothing to resend."))
        if not locked.is_live:
            raise AgreementError(
                _("This agreement is closed; send a new request from the customer instead.")
            )
        request = AgreementRequest.objects.create(
            agreement=locked,
            channel=contact.channel,
            recipient=contact.recipient,
            requested_by=acting_user,
        )
        from .tasks import send_agreement_request

        send_agreement_request.delay_on_commit(request.pk)
    return request


def _request_text(*, company: Company, link: str, channel: str) -> tuple[str, str]:
    subject = _("eFaktura from %(company)s") % {"company": company.name}
    if channel == RequestChannel.SMS:
        text = _(
            "%(company)s can send your invoices as eFaktura to your online bank. "
            "Accept or decline here: %(link)s"
        ) % {"company": company.name, "link": link}
    else:
        text = _(
            "Hello,\n\n%(company)s would like to send your invoices as eFaktura directly to "
            "your online bank. Open this link to accept or decline the agreement:\n\n%(link)s\n\n"
            "You can cancel the agreement in your online bank at any time."
        ) % {"company": company.name, "link": link}
    return subject, text


def deliver_agreement_request(*, request_id: int) -> AgreementRequest:
    """Send one queued agreement request exactly once and move its agreement to REQUEST_SENT."""
    # Claim: only one worker moves QUEUED -> SENDING; a second run (retry, duplicate task) stops.
    claimed = AgreementRequest.objects.filter(pk=request_id, status=RequestStatus.QUEUED).update(
        status=RequestStatus.SENDING
    )
    request = AgreementRequest.objects.select_related(
        "agreement__customer", "agreement__branch__company"
    ).get(pk=request_id)
    if not claimed:
        return request
    agreement = request.agreement
    company = agreement.branch.company
    network = get_network()
    error = ""
    try:
        with translation.override(agreement.customer.language or "nb"):
            link = network.agreement_acceptance_link(
                issuer_organisation_number=company.organisation_number,
                issuer_name=company.name,
                branch_reference=agreement.branch.branch_id,
                customer_reference=agreement.reference or agreement.customer.number,
            )
            subject, text = _request_text(company=company, link=link, channel=request.channel)
        if request.channel == RequestChannel.SMS:
            reference = get_sms_backend().send(
                recipient=request.recipient, text=text, link=link, purpose="agreement_request"
            )
        else:
            reference = network.send_consumer_message(
                channel="email",
                recipient=request.recipient,
                text=text,
                subject=subject,
                link=link,
                purpose="agreement_request",
            )
    except (NetworkError, OSError) as exc:
        error, link, text, reference = str(exc) or exc.__class__.__name__, "", "", ""
    with transaction.atomic():
        _lock_customer(agreement.customer)
        locked = ConsumerAgreement.objects.select_for_update().get(pk=agreement.pk)
        request.link, request.text, request.network_reference = link, text, reference
        if error:
            request.status, request.error = RequestStatus.FAILED, error
        else:
            request.status, request.sent_at = RequestStatus.SENT, timezone.now()
        request.save()
        source = (
            EventSource.REQUEST_SMS
            if request.channel == RequestChannel.SMS
            else EventSource.REQUEST_EMAIL
        )
        if locked.is_live and locked.status not in (S.ACCEPTED, S.ACTIVE):
            _transition(
                locked,
                to_status=S.ERROR if error else S.REQUEST_SENT,
                source=source,
                actor=request.requested_by,
                detail={"request": request.pk, "channel": request.channel}
                | ({"error": error} if error else {}),
                strict=False,
            )
    return request


# The broker can lose a message and a worker can die mid-send; the rows say what happened.
REQUEUE_AFTER = timedelta(minutes=5)
SENDING_TIMEOUT = timedelta(minutes=15)


def sweep_agreement_requests() -> tuple[list[int], int]:
    """Re-queue requests stuck in QUEUED; mark ones stuck in SENDING as failed (their outcome
    is unknown, so they are never sent blindly again: support sees ERROR and may resend)."""
    now = timezone.now()
    requeue = list(
        AgreementRequest.objects.filter(
            status=RequestStatus.QUEUED, created_at__lt=now - REQUEUE_AFTER
        ).values_list("pk", flat=True)
    )
    stuck = AgreementRequest.objects.filter(
        status=RequestStatus.SENDING, created_at__lt=now - SENDING_TIMEOUT
    ).select_related("agreement__customer")
    failed = 0
    for request in stuck:
        with transaction.atomic():
            _lock_customer(request.agreement.customer)
            claimed = AgreementRequest.objects.filter(
                pk=request.pk, status=RequestStatus.SENDING
            ).update(
                status=RequestStatus.FAILED,
                error="outcome unknown: the sender stopped while sending; resend if needed",
            )
            if not claimed:
                continue
            failed += 1
            agreement = ConsumerAgreement.objects.select_for_update().get(pk=request.agreement_id)
            if agreement.is_live and agreement.status not in (S.ACCEPTED, S.ACTIVE):
                _transition(
                    agreement,
                    to_status=S.ERROR,
                    source=EventSource.NETWORK,
                    detail={"request": request.pk, "error": "sending timed out"},
                    strict=False,
                )
    return requeue, failed


# --- 2. Inbound events from the network -----------------------------------------------------


@dataclass(frozen=True)
class InboundOutcome:
    result: str  # applied | ignored
    agreement_id: int | None
    status: str
    link: str = ""

    def as_dict(self) -> dict:
        data = {"result": self.result, "agreement": self.agreement_id, "status": self.status}
        if self.link:
            data["link"] = self.link
        return data


NORWAY_TARGETS = {
    "accepted": S.ACCEPTED,
    "activated": S.ACTIVE,
    "rejected": S.REJECTED,
    "deleted": S.DELETED,
}
SWEDEN_TARGETS = {"fmi_created": S.ACTIVE, "fmi_cancelled": S.DELETED}
EVENT_TYPES = (*NORWAY_TARGETS, *SWEDEN_TARGETS, "capture_payment")


def _norwegian_branch(issuer: str, reference: str) -> Branch:
    """The issuer's branch in one query; on a miss, a second one tells which part is unknown."""
    branch = (
        Branch.objects.select_related("company")
        .filter(
            company__country=Country.NORWAY,
            company__organisation_number=issuer,
            branch_id=reference,
        )
        .first()
    )
    if branch is not None:
        return branch
    if not Company.objects.filter(country=Country.NORWAY, organisation_number=issuer).exists():
        raise AgreementError(f"unknown issuer {issuer}", code="unknown_issuer")
    raise AgreementError(f"unknown branch {reference!r} for issuer", code="unknown_branch")


def _lock_customer_of(company: Company, *, reference: str = "", national_id: str = "") -> Customer:
    """Find and lock the customer an event names (by eFaktura reference, else national ID)."""
    customers = Customer.objects.select_for_update().filter(company=company)
    customer = customers.filter(number=reference).first() if reference else None
    if customer is None and national_id:
        customer = customers.filter(national_id=national_id).first()
    if customer is None:
        raise AgreementError(
            f"unknown customer (reference {reference!r}) for this issuer", code="unknown_customer"
        )
    return customer


def _already_seen(event_id: str) -> None:
    if AgreementEvent.objects.filter(external_event_id=event_id).exists():
        raise AgreementError(f"event {event_id} was already received", code="replay")


def apply_inbound_event(*, event: dict) -> InboundOutcome:
    """Apply one validated, signed network event; one event id is applied once only."""
    event_id = event["event_id"]
    try:
        if event["type"] in NORWAY_TARGETS:
            return _apply_norway_event(event)
        if event["type"] in SWEDEN_TARGETS:
            return _apply_sweden_event(event)
        return _apply_capture_payment(event)
    except IntegrityError:
        # Two deliveries of one event raced; the unique event id let exactly one through.
        _already_seen(event_id)
        raise


def _lock_for_event(company: Company, event: dict, **lookup: str) -> Customer:
    """Lock the event's customer, then check the event id under that lock: a concurrent
    delivery of the same event that committed while we waited is not applied twice."""
    locked = _lock_customer_of(company, **lookup)
    _already_seen(event["event_id"])
    return locked


def _lock_norwegian_customer(event: dict) -> tuple[Customer, Branch]:
    """Find the issuer's branch and lock the named customer in one query (the hot path of
    every inbound event); a miss is diagnosed afterwards so the error says what is unknown."""
    candidates = (
        Customer.objects.select_for_update(of=("self",))
        .filter(
            company__country=Country.NORWAY,
            company__organisation_number=event["issuer"],
            company__branches__branch_id=event["branch"],
        )
        .annotate(event_branch_id=F("company__branches__id"))
        # The lock is what matters; load only what the event needs.
        .only("id", "company_id", "number", "national_id")
    )
    reference, national_id = event["customer_reference"], event.get("national_id", "")
    customer = candidates.filter(number=reference).first() if reference else None
    if customer is None and national_id:
        customer = candidates.filter(national_id=national_id).first()
    if customer is None:
        _norwegian_branch(event["issuer"], event["branch"])  # raises for issuer/branch
        raise AgreementError(
            f"unknown customer (reference {reference!r}) for this issuer", code="unknown_customer"
        )
    # No separate "seen" query here: the event insert below hits the unique external id, the
    # transaction rolls back and apply_inbound_event answers "replay" (paths that write no
    # event check explicitly).
    return customer, Branch(pk=customer.event_branch_id, company_id=customer.company_id)


def _apply_norway_event(event: dict) -> InboundOutcome:
    target = NORWAY_TARGETS[event["type"]]
    with transaction.atomic():
        locked, branch = _lock_norwegian_customer(event)
        if target in (S.DELETED, S.REJECTED):
            agreement = (
                ConsumerAgreement.objects.select_for_update()
                .filter(
                    customer=locked,
                    branch=branch,
                    network=AgreementNetwork.NO_EFAKTURA,
                    status__in=LIVE_STATUSES,
                )
                .first()
            )
            if agreement is None:
                _already_seen(event["event_id"])
                return InboundOutcome("ignored", None, "")
        else:
            source = (
                AgreementSource.AGREEMENT_CAPTURE
                if event.get("source") == AgreementSource.AGREEMENT_CAPTURE
                else AgreementSource.ONLINE_BANK
            )
            agreement, _created = _live_or_new(
                customer=locked,
                branch=branch,
                network=AgreementNetwork.NO_EFAKTURA,
                source=source,
                reference=locked.number,
                actor=None,
            )
            if source == AgreementSource.AGREEMENT_CAPTURE:
                agreement.source = source
        event_source = event.get("source") or EventSource.ONLINE_BANK
        if event_source not in EventSource.values:
            event_source = EventSource.NETWORK
        written = _transition(
            agreement,
            to_status=target,
            source=event_source,
            external_event_id=event["event_id"],
            detail={"type": event["type"]},
            strict=False,
        )
        result = "ignored" if "ignored" in written.detail else "applied"
        return InboundOutcome(result, agreement.pk, agreement.status)


def _apply_sweden_event(event: dict) -> InboundOutcome:
    try:
        parsed = parse_fmi(event["fmi"])
    except ValidationError as exc:
        raise AgreementError(f"malformed FMI: {' '.join(exc.messages)}", code="malformed") from exc
    fmi, ssn = str(parsed), parsed.ssn
    activation = (
        SwedenB2CActivation.objects.filter(fui=event["issuer_fui"])
        .select_related("branch__company")
        .first()
    )
    if activation is None:
        raise AgreementError(f"unknown issuer FUI {event['issuer_fui']}", code="unknown_issuer")
    branch = activation.branch
    target = SWEDEN_TARGETS[event["type"]]
    with transaction.atomic():
        locked = _lock_for_event(branch.company, event, national_id=ssn)
        agreement = (
            ConsumerAgreement.objects.select_for_update()
            .filter(
                customer=locked,
                branch=branch,
                network=AgreementNetwork.SE_BANK,
                status__in=LIVE_STATUSES,
            )
            .first()
        )
        if target == S.DELETED and (agreement is None or agreement.reference != fmi):
            # Cancelling an FMI we do not hold (or an older one) changes nothing here.
            return InboundOutcome("ignored", agreement.pk if agreement else None, "")
        if agreement is None:
            agreement, _created = _live_or_new(
                customer=locked,
                branch=branch,
                network=AgreementNetwork.SE_BANK,
                source=AgreementSource.FMI_ONBOARDING,
                reference=fmi,
                actor=None,
            )
        elif target == S.ACTIVE and agreement.reference != fmi:
            # The consumer moved banks: the new FMI replaces the old one.
            agreement.reference = fmi
            agreement.save(update_fields=["reference", "last_updated"])
        _transition(
            agreement,
            to_status=target,
            source=EventSource.FMI_ONBOARDING,
            external_event_id=event["event_id"],
            detail={"type": event["type"], "fmi": fmi, "matched_on": ["national_id"]},
            strict=False,
        )
        return InboundOutcome("applied", agreement.pk, agreement.status)


# --- 5. Agreement capture (OCR payments) ----------------------------------------------------


def _apply_capture_payment(event: dict) -> InboundOutcome:
    account = re.sub(r"\D", "", event["account"])
    activation = (
        NorwayB2CActivation.objects.filter(
            capture_bban=account,
            use_agreement_capture=True,
            status=NorwayActivationStatus.ACTIVE,
        )
        .select_related("branch__company")
        .first()
    )
    if activation is None:
        raise AgreementError(
            f"no branch uses agreement capture for account {account}", code="unknown_issuer"
        )
    branch, company = activation.branch, activation.branch.company
    kid = event["kid"].strip()
    algorithm = ledger_preferences(company=company).kid_algorithm
    if len(kid) != activation.capture_kid_length:
        raise AgreementError(
            f"KID {kid} has {len(kid)} digits; this account expects "
            f"{activation.capture_kid_length}",
            code="refused",
        )
    if not is_valid_kid(kid, algorithm):
        raise AgreementError(
            f"KID {kid} has a wrong check digit ({algorithm.upper()}); no agreement captured",
            code="refused",
        )
    number = customer_number_from_kid(
        kid,
        start=activation.capture_customer_number_start,
        end=activation.capture_customer_number_end,
    )
    customer = (
        Customer.objects.filter(company=company, number__in={number, number.zfill(5)})
        .order_by("number")
        .first()
    )
    if customer is None:
        raise AgreementError(
            f"unknown customer {number} (KID positions "
            f"{activation.capture_customer_number_start}-{activation.capture_customer_number_end})",
            code="unknown_customer",
        )
    link = get_network().agreement_acceptance_link(
        issuer_organisation_number=company.organisation_number,
        issuer_name=company.name,
        branch_reference=branch.branch_id,
        customer_reference=customer.number,
        source=AgreementSource.AGREEMENT_CAPTURE,
    )
    with transaction.atomic():
        locked = _lock_for_event(company, event, reference=customer.number)
        agreement, _created = _live_or_new(
            customer=locked,
            branch=branch,
            network=AgreementNetwork.NO_EFAKTURA,
            source=AgreementSource.AGREEMENT_CAPTURE,
            reference=locked.number,
            actor=None,
        )
        if agreement.status in (S.ACCEPTED, S.ACTIVE):
            _transition(
                agreement,
                to_status=agreement.status,
                source=EventSource.AGREEMENT_CAPTURE,
                external_event_id=event["event_id"],
                detail={"type": "capture_payment", "kid": kid},
                strict=False,
            )
            return InboundOutcome("ignored", agreement.pk, agreement.status)
        AgreementRequest.objects.create(
            agreement=agreement,
            channel=RequestChannel.ONLINE_BANK,
            recipient=str(event.get("payer_name") or "")[:254],
            text=_("Invitation shown in the online bank with the payment."),
            link=link,
            status=RequestStatus.SENT,
            sent_at=timezone.now(),
        )
        amount = event.get("amount")
        _transition(
            agreement,
            to_status=S.REQUEST_SENT,
            source=EventSource.AGREEMENT_CAPTURE,
            external_event_id=event["event_id"],
            detail={
                "type": "capture_payment",
                "kid": kid,
                "customer_number": number,
                "amount": str(Decimal(str(amount))) if amount is not None else "",
            },
            strict=False,
        )
        return InboundOutcome("applied", agreement.pk, agreement.status, link=link)


# --- 4. Ja takk til alle (JTTA) -------------------------------------------------------------


def check_efaktura_directory(
    *, customer: Customer, acting_user: AbstractBaseUser | None
) -> list[AgreementEvent]:
    """Look the customer up in the eFaktura receiver directory; JTTA match -> ACTIVE, block ->
    REJECTED, per branch with an active B2C service. Returns the events written."""
    company = customer.company
    if not company.is_norwegian:
        raise AgreementError(_("Ja takk til alle is a Norwegian service."), code="not_norwegian")
    branches = active_norway_branches(company=company)
    if not branches:
        raise AgreementError(
            _("No branch of %(company)s has an active B2C service.") % {"company": company.name},
            code="no_service",
        )
    prefs = ledger_preferences(company=company)
    lookup = get_network().find_efaktura_receiver(
        issuer_organisation_number=company.organisation_number,
        national_id=customer.national_id,
        mobile=customer.mobile_number(prefs.mobile_phone_field),
        email=customer.email,
        name=customer.name,
        postcode=customer.postcode,
    )
    if lookup is None:
        return []
    target = S.REJECTED if lookup.blocked else S.ACTIVE
    detail = {"matched_on": list(lookup.matched_on), "blocked": lookup.blocked}
    events = []
    with transaction.atomic():
        locked = _lock_customer(customer)
        for branch in branches:
            agreement, _created = _live_or_new(
                customer=locked,
                branch=branch,
                network=AgreementNetwork.NO_EFAKTURA,
                source=AgreementSource.JTTA,
                reference=locked.number,
                actor=acting_user,
            )
            if agreement.status == target:
                continue
            if target == S.ACTIVE:
                agreement.source = AgreementSource.JTTA
            events.append(
                _transition(
                    agreement,
                    to_status=target,
                    source=EventSource.JTTA,
                    actor=acting_user,
                    detail=detail,
                    strict=False,
                )
            )
    return events


# --- 6. Manual changes ----------------------------------------------------------------------


def mark_agreement_deleted(
    *, agreement: ConsumerAgreement, acting_user: AbstractBaseUser
) -> ConsumerAgreement:
    """An administrator closes an agreement (e.g. the consumer cancelled by phone)."""
    with transaction.atomic():
        _lock_customer(agreement.customer)
        locked = ConsumerAgreement.objects.select_for_update().get(pk=agreement.pk)
        if not locked.is_live:
            raise AgreementError(_("This agreement is already closed."))
        _transition(locked, to_status=S.DELETED, source=EventSource.USER, actor=acting_user)
    return locked
