"""Demo agreements for `manage.py seed_demo` (a `demo_seeders` hook of AgreementsConfig).

Norway: the e-invoice customers get agreements in every state the screens show, each with its
event history. Sweden: a few consumers joined through the onboarding page. The network's side
(eFaktura directory entries, these FMIs) is seeded by the simulator when it is installed.
Idempotent: customers that already have an agreement are left alone.
"""

from __future__ import annotations

from django.db import transaction

from b2cportal.companies.demo import DemoContext
from b2cportal.customers.models import Customer

from .models import (
    AgreementEvent,
    AgreementNetwork,
    AgreementSource,
    AgreementStatus,
    ConsumerAgreement,
)

# Status paths the Norwegian demo agreements walk, in turn.
NORWAY_PATHS = [
    (
        AgreementSource.REQUEST_SMS,
        [
            AgreementStatus.NEW,
            AgreementStatus.REQUEST_SENT,
            AgreementStatus.ACCEPTED,
            AgreementStatus.ACTIVE,
        ],
    ),
    (AgreementSource.REQUEST_EMAIL, [AgreementStatus.NEW, AgreementStatus.REQUEST_SENT]),
    (AgreementSource.JTTA, [AgreementStatus.NEW, AgreementStatus.ACTIVE]),
    (
        AgreementSource.REQUEST_SMS,
        [AgreementStatus.NEW, AgreementStatus.REQUEST_SENT, AgreementStatus.REJECTED],
    ),
    (AgreementSource.REQUEST_EMAIL, [AgreementStatus.NEW, AgreementStatus.ERROR]),
    (
        AgreementSource.AGREEMENT_CAPTURE,
        [
            AgreementStatus.NEW,
            AgreementStatus.REQUEST_SENT,
            AgreementStatus.ACCEPTED,
            AgreementStatus.ACTIVE,
        ],
    ),
]
SWEDISH_BANKS = ["NB", "FSPA", "SHB", "OEB"]


def _create(customer: Customer, branch, network: str, source: str, path, reference: str) -> None:
    agreement = ConsumerAgreement.objects.create(
        customer=customer,
        branch=branch,
        network=network,
        status=path[-1],
        source=source,
        reference=reference,
    )
    previous = ""
    events = []
    for status in path:
        events.append(
            AgreementEvent(
                agreement=agreement,
                from_status=previous,
                to_status=status,
                source=source,
                detail={"demo": True},
            )
        )
        previous = status
    AgreementEvent.objects.bulk_create(events)


@transaction.atomic
def seed_demo_agreements(context: DemoContext) -> None:
    """A `demo_seeders` hook: agreements with history, directory entries and FMIs (idempotent)."""
    before = ConsumerAgreement.objects.count()
    norway = context.companies.get("NO")
    if norway is not None:
        branch = norway.branches.filter(is_main_office=True).first()
        wanting = Customer.objects.filter(company=norway, einvoice_norway=True).order_by("number")
        for index, customer in enumerate(wanting):
            if branch is None or customer.agreements.exists():
                continue
            source, path = NORWAY_PATHS[index % len(NORWAY_PATHS)]
            _create(customer, branch, AgreementNetwork.NO_EFAKTURA, source, path, customer.number)
    sweden = context.companies.get("SE")
    if sweden is not None:
        branch = sweden.branches.filter(is_main_office=True).first()
        consumers = Customer.objects.filter(company=sweden).exclude(national_id="")
        for index, customer in enumerate(consumers.order_by("number")[:6]):
            if branch is None or customer.agreements.exists():
                continue
            bank = SWEDISH_BANKS[index % len(SWEDISH_BANKS)]
            fmi = f"{customer.national_id}.{bank}.SE"
            path = (
                [AgreementStatus.NEW, AgreementStatus.ACTIVE]
                if index % 3
                else [AgreementStatus.NEW, AgreementStatus.ACTIVE, AgreementStatus.DELETED]
            )
            _create(
                customer,
                branch,
                AgreementNetwork.SE_BANK,
                AgreementSource.FMI_ONBOARDING,
                path,
                fmi,
            )
    total = ConsumerAgreement.objects.count()
    context.log(f"agreements: {total - before} created, {total} in total")
