"""The company record: its organisation number is its identity on every network.

Once the company has released an invoice (the number is in documents on the networks) or
started a B2C activation (the networks know the company by it), the number and the country
cannot change. Apps above this one add their own reasons through the
`organisation_number_locks` extension point (invoices adds "released an invoice").
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from b2cportal.extensions import hooks

from ..models import (
    Company,
    NorwayActivationStatus,
    NorwayB2CActivation,
    SwedenActivationStatus,
    SwedenB2CActivation,
)


def _activation_started(company: Company) -> str | None:
    norway = NorwayB2CActivation.objects.filter(branch__company=company).exclude(
        status=NorwayActivationStatus.NOT_ACTIVATED, pending_submission={}
    )
    sweden = SwedenB2CActivation.objects.filter(branch__company=company).exclude(
        status=SwedenActivationStatus.NOT_ACTIVATED, pending_submission={}
    )
    if norway.exists() or sweden.exists():
        return _("the company has started a B2C service activation")
    return None


def organisation_number_lock_reason(company: Company) -> str | None:
    """Why `company`'s organisation number and country can no longer change, or None."""
    if company.pk is None:
        return None
    # Each hook returns why the company's organisation number is fixed, or None.
    for check in (_activation_started, *hooks("organisation_number_locks")):
        reason = check(company)
        if reason:
            return _(
                "The organisation number and country cannot change: %(reason)s, and the "
                "networks know the company by this number. Create a new company instead."
            ) % {"reason": reason}
    return None
