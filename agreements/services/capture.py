"""Agreement capture: an OCR payment with a KID to the capture account invites the consumer."""

import re
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from b2cportal.companies.models import (
    NorwayActivationStatus,
    NorwayB2CActivation,
)
from b2cportal.companies.selectors import ledger_preferences_of
from b2cportal.customers.models import Customer
from b2cportal.identifiers import customer_number_from_kid, is_valid_kid
from b2cportal.network.adapter import AgreementEvent, get_network

from ..models import (
    AgreementNetwork,
    AgreementRequest,
    AgreementSource,
    AgreementStatus,
    EventSource,
    RequestChannel,
    RequestStatus,
)
from .core import (
    AgreementError,
    InboundOutcome,
    _live_or_new,
    _lock_for_event,
    _transition,
)


def _apply_capture_payment(event: AgreementEvent) -> InboundOutcome:
    account = re.sub(r"\D", "", event.account)
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
            _("No branch uses agreement capture for account %(account)s.") % {"account": account},
            code="unknown_issuer",
        )
    branch, company = activation.branch, activation.branch.company
    kid = event.kid.strip()
    algorithm = ledger_preferences_of(company=company).kid_algorithm
    if len(kid) != activation.capture_kid_length:
        raise AgreementError(
            _("KID %(kid)s has %(n)d digits; this account expects %(expected)d.")
            % {"kid": kid, "n": len(kid), "expected": activation.capture_kid_length},
            code="refused",
        )
    if not is_valid_kid(kid, algorithm):
        raise AgreementError(
            _("KID %(kid)s has a wrong check digit (%(algorithm)s); no agreement captured.")
            % {"kid": kid, "algorithm": algorithm.upper()},
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
            _("Unknown customer %(number)s (KID positions %(start)s-%(end)s).")
            % {
                "number": number,
                "start": activation.capture_customer_number_start,
                "end": activation.capture_customer_number_end,
            },
            code="unknown_customer",
        )
    link = get_network(company).agreement_acceptance_link(
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
        if agreement.status in (AgreementStatus.ACCEPTED, AgreementStatus.ACTIVE):
            _transition(
                agreement,
                to_status=agreement.status,
                source=EventSource.AGREEMENT_CAPTURE,
                external_event_id=event.event_id,
                detail={"type": "capture_payment", "kid": kid},
                strict=False,
            )
            return InboundOutcome("ignored", agreement.pk, agreement.status)
        AgreementRequest.objects.create(
            agreement=agreement,
            channel=RequestChannel.ONLINE_BANK,
            recipient=str(event.payer_name or "")[:254],
            text=_("Invitation shown in the online bank with the payment."),
            link=link,
            status=RequestStatus.SENT,
            sent_at=timezone.now(),
        )
        amount = event.amount
        _transition(
            agreement,
            to_status=AgreementStatus.REQUEST_SENT,
            source=EventSource.AGREEMENT_CAPTURE,
            external_event_id=event.event_id,
            detail={
                "type": "capture_payment",
                "kid": kid,
                "customer_number": number,
                "amount": str(Decimal(str(amount))) if amount is not None else "",
            },
            strict=False,
        )
        return InboundOutcome(
            "applied",
            agreement.pk,
            agreement.status,
            link=link,
            customer_id=locked.pk,
            company_id=locked.company_id,
        )
