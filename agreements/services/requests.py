"""Agreement requests (Norway): ask a consumer by SMS or email, send once, sweep lost ones."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from b2cportal.companies.models import (
    Branch,
    Company,
    Country,
    CustomerLedgerPreferences,
)
from b2cportal.companies.selectors import active_b2c_branches, ledger_preferences_of
from b2cportal.customers.models import Customer
from b2cportal.network.adapter import NetworkError, get_network
from b2cportal.network.types import MessageChannel
from b2cportal.queueing import publish, publish_on_commit

from ..models import (
    AgreementNetwork,
    AgreementRequest,
    AgreementSource,
    AgreementStatus,
    ConsumerAgreement,
    EventSource,
    RequestChannel,
    RequestStatus,
)
from ..sms import get_sms_backend
from .core import (
    AgreementError,
    _live_or_new,
    _lock_customer,
    _transition,
)

logger = logging.getLogger(__name__)


REQUEST_QUIET_PERIOD = timedelta(hours=24)
OPEN_REQUEST_STATUSES = (RequestStatus.QUEUED, RequestStatus.SENDING, RequestStatus.SENT)

# Error texts stored on requests and events are message ids, translated when shown (the
# templates use `{% translate request.error %}`): readers differ in language from the worker.
SEND_FAILED = gettext_noop("Sending failed: the network did not take the message. Resend it.")
OUTCOME_UNKNOWN = gettext_noop(
    "Outcome unknown: the sender stopped while sending. Resend the request if needed."
)
SENDING_TIMED_OUT = gettext_noop("Sending timed out.")

# --- 1. Agreement requests (Norway) ---------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    channel: str
    recipient: str


def consumer_contact(
    *, customer: Customer, prefs: CustomerLedgerPreferences | None = None
) -> Contact:
    """SMS to the mobile number (the phone field the ledger preferences name), else email.

    `prefs` are the company's ledger preferences when the caller has them loaded already.
    """
    if prefs is None:
        prefs = ledger_preferences_of(company=customer.company)
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


def _request_branches(
    *, customer: Customer, current_branch: Branch | None, prefs: CustomerLedgerPreferences
) -> list[Branch]:
    company = customer.company
    active = list(active_b2c_branches(company=company))
    if not active:
        raise AgreementError(
            _("No branch of %(company)s has an active B2C service.") % {"company": company.name},
            code="no_service",
        )
    if prefs.send_agreement_current_branch_only:
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
    acting_user: User | None,
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
    prefs = ledger_preferences_of(company=customer.company)
    contact = consumer_contact(customer=customer, prefs=prefs)
    branches = _request_branches(customer=customer, current_branch=current_branch, prefs=prefs)
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
            from ..tasks import send_agreement_request

            for pk in ids:
                publish_on_commit(send_agreement_request, pk)
    return created


def handle_customer_saved(
    *, customer: Customer, acting_user: User | None, current_branch: Branch | None
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
    *, agreement: ConsumerAgreement, acting_user: User | None
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
        from ..tasks import send_agreement_request

        publish_on_commit(send_agreement_request, request.pk)
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
    network = get_network(company)
    error = reason = ""
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
                channel=MessageChannel.EMAIL,
                recipient=request.recipient,
                text=text,
                subject=subject,
                link=link,
                purpose="agreement_request",
            )
    except (NetworkError, OSError) as exc:
        # Stored as a message id (shown translated to whoever reads it); the network's own,
        # untranslatable reason goes to the event detail and the log.
        logger.warning("Agreement request %s failed: %s", request_id, exc)
        error, link, text, reference = SEND_FAILED, "", "", ""
        reason = str(exc) or exc.__class__.__name__
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
        if locked.is_live and locked.status not in (
            AgreementStatus.ACCEPTED,
            AgreementStatus.ACTIVE,
        ):
            _transition(
                locked,
                to_status=AgreementStatus.ERROR if error else AgreementStatus.REQUEST_SENT,
                source=source,
                actor=request.requested_by,
                detail={"request": request.pk, "channel": request.channel}
                | ({"error": error, "network_error": reason} if error else {}),
                strict=False,
            )
    return request


# The broker can lose a message and a worker can die mid-send; the rows say what happened.
REQUEUE_AFTER = timedelta(minutes=5)
SENDING_TIMEOUT = timedelta(minutes=15)


def sweep_agreement_requests() -> int:
    """Re-queue requests stuck in QUEUED; mark ones stuck in SENDING as failed (their outcome
    is unknown, so they are never sent blindly again: support sees ERROR and may resend).
    Returns how many requests were re-queued or failed."""
    from ..tasks import send_agreement_request

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
                error=OUTCOME_UNKNOWN,
            )
            if not claimed:
                continue
            failed += 1
            agreement = ConsumerAgreement.objects.select_for_update().get(pk=request.agreement_id)
            if agreement.is_live and agreement.status not in (
                AgreementStatus.ACCEPTED,
                AgreementStatus.ACTIVE,
            ):
                _transition(
                    agreement,
                    to_status=AgreementStatus.ERROR,
                    source=EventSource.NETWORK,
                    detail={"request": request.pk, "error": SENDING_TIMED_OUT},
                    strict=False,
                )
    for request_id in requeue:
        # A second delivery is harmless: deliver_agreement_request claims QUEUED -> SENDING.
        publish(send_agreement_request, request_id)
    return len(requeue) + failed
