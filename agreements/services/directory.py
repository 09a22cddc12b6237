"""Ja takk til alle (Alltid eFaktura): look consumers up in the eFaktura receiver directory."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from b2cportal.customers.models import Customer
from b2cportal.network.adapter import get_network

from ..models import (
    AgreementEvent,
    AgreementNetwork,
    AgreementSource,
    EventSource,
)
from ..selectors import active_norway_branches, ledger_preferences
from .core import (
    AgreementError,
    S,
    _live_or_new,
    _lock_customer,
    _transition,
)


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
