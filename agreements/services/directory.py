"""Ja takk til alle (Alltid eFaktura): look consumers up in the eFaktura receiver directory."""

import logging

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from b2cportal.companies.selectors import active_b2c_branches, ledger_preferences_of
from b2cportal.customers.models import Customer
from b2cportal.network.adapter import get_network

from ..models import (
    AgreementEvent,
    AgreementNetwork,
    AgreementSource,
    AgreementStatus,
    EventSource,
)
from ..selectors import (
    customers_due_for_directory_check,
)
from .core import (
    AgreementError,
    _live_or_new,
    _lock_customer,
    _transition,
)

logger = logging.getLogger(__name__)


def check_efaktura_directory(
    *, customer: Customer, acting_user: User | None
) -> list[AgreementEvent]:
    """Look the customer up in the eFaktura receiver directory; JTTA match -> ACTIVE, block ->
    REJECTED, per branch with an active B2C service. Returns the events written."""
    company = customer.company
    if not company.is_norwegian:
        raise AgreementError(_("Ja takk til alle is a Norwegian service."), code="not_norwegian")
    branches = list(active_b2c_branches(company=company))
    if not branches:
        raise AgreementError(
            _("No branch of %(company)s has an active B2C service.") % {"company": company.name},
            code="no_service",
        )
    prefs = ledger_preferences_of(company=company)
    lookup = get_network(company).find_efaktura_receiver(
        issuer_organisation_number=company.organisation_number,
        national_id=customer.national_id,
        mobile=customer.mobile_number(prefs.mobile_phone_field),
        email=customer.email,
        name=customer.name,
        postcode=customer.postcode,
    )
    if lookup is None:
        return []
    target = AgreementStatus.REJECTED if lookup.blocked else AgreementStatus.ACTIVE
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
            if target == AgreementStatus.ACTIVE:
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


def check_customer_in_directory(*, customer_id: int) -> list[AgreementEvent]:
    """Directory lookup for one customer by id (the weekly task's unit of work).

    A customer whose company lost its B2C service, or who is no longer Norwegian, is skipped
    (no events); a network failure propagates so the caller can retry.
    """
    customer = Customer.objects.select_related("company").get(pk=customer_id)
    try:
        return check_efaktura_directory(customer=customer, acting_user=None)
    except AgreementError as exc:
        logger.info("Directory check skipped for customer %s: %s", customer_id, exc)
        return []


def queue_weekly_directory_checks() -> int:
    """Queue a directory lookup for every customer `customers_due_for_directory_check` names;
    returns how many were queued."""
    from ..tasks import check_customer_efaktura

    count = 0
    for customer_id in customers_due_for_directory_check().iterator(chunk_size=1000):
        check_customer_efaktura.delay(customer_id)
        count += 1
    return count
