"""Builders for routing tests: a released invoice with whatever the route needs."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from b2cportal.companies.models import (
    AutoInvoiceSettings,
    CustomerLedgerPreferences,
    NorwayB2CActivation,
    SwedenB2CActivation,
)
from invoices.models import Invoice, InvoiceStatus
from simulator.models import DigitalMailboxAccount, FmiRegistration, Participant
from tests.factories import make_customer

_seq = itertools.count(1)

SE_SSNS = ["198112189876", "194107086995", "196408233234", "198507099805", "196408233234"]
NO_FNRS = ["15076500565", "01010750160", "31129956715"]


def activate(company, *, no: bool = False, se: bool = False, route_anyway: bool = False, **ai):
    branch = company.branches.get(is_main_office=True)
    if no:
        NorwayB2CActivation.objects.update_or_create(branch=branch, defaults={"status": "active"})
    if se:
        SwedenB2CActivation.objects.update_or_create(
            branch=branch, defaults={"status": "active", "fui": ""}
        )
    if ai:
        AutoInvoiceSettings.objects.update_or_create(branch=branch, defaults=ai)
    if route_anyway:
        CustomerLedgerPreferences.objects.update_or_create(
            company=company, defaults={"consumer_route_anyway": True}
        )
    return branch


def make_open_invoice(*, company, customer=None, kind="invoice", due_in_days=14, **customer_kw):
    customer = customer or make_customer(company=company, **customer_kw)
    n = next(_seq)
    today = timezone.localdate()
    return Invoice.objects.create(
        company=company,
        branch=company.branches.get(is_main_office=True),
        customer=customer,
        kind=kind,
        number=f"{100000 + n}",
        status=InvoiceStatus.OPEN,
        issue_date=today,
        due_date=today + datetime.timedelta(days=due_in_days),
        currency=company.currency,
        total_excl_vat=Decimal("100.00"),
        total_vat=Decimal("25.00"),
        total_incl_vat=Decimal("125.00"),
        payment_reference="000012345",
        released_at=timezone.now(),
    )


def se_consumer_with(*, fmi=False, billo=False, kivra=False, ssn=None):
    ssn = ssn or SE_SSNS[next(_seq) % len(SE_SSNS)]
    if fmi:
        FmiRegistration.objects.create(ssn=ssn, bank_id="NB", issuer_fui="")
    if billo:
        DigitalMailboxAccount.objects.get_or_create(ssn=ssn, provider="billo")
    if kivra:
        DigitalMailboxAccount.objects.get_or_create(ssn=ssn, provider="kivra")
    return ssn


def peppol(identifier: str, kind: str = "peppol"):
    return Participant.objects.create(kind=kind, scheme="0192", identifier=identifier)
