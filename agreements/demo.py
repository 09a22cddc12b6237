"""Demo agreements for `manage.py seed_demo` (registered in AgreementsConfig.ready()).

Norway: the e-invoice customers get agreements in every state the screens show, each with its
event history; a few consumers are in the simulated eFaktura directory (one blocks us), so
*Check now* has something to find. Sweden: a few consumers joined through the onboarding page.
Idempotent: customers that already have an agreement are left alone.
"""

from __future__ import annotations

from django.db import transaction

from b2cportal.companies.demo import DemoContext
from b2cportal.customers.models import Customer
from b2cportal.network.models import EFakturaReceiver, FmiRegistration

from .models import (
    AgreementEvent,
    AgreementNetwork,
    AgreementSource,
    AgreementStatus,
    ConsumerAgreement,
)

S = AgreementStatus
# Status paths the Norwegian demo agreements walk, in turn.
NORWAY_PATHS = [
    (AgreementSource.REQUEST_SMS, [S.NEW, S.REQUEST_SENT, S.ACCEPTED, S.ACTIVE]),
    (AgreementSource.REQUEST_EMAIL, [S.NEW, S.REQUEST_SENT]),
    (AgreementSource.JTTA, [S.NEW, S.ACTIVE]),
    (AgreementSource.REQUEST_SMS, [S.NEW, S.REQUEST_SENT, S.REJECTED]),
    (AgreementSource.REQUEST_EMAIL, [S.NEW, S.ERROR]),
    (AgreementSource.AGREEMENT_CAPTURE, [S.NEW, S.REQUEST_SENT, S.ACCEPTED, S.ACTIVE]),
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
    """DEMO_SEEDERS hook: agreements with history, directory entries and FMIs (idempotent)."""
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
        # Consumers in the eFaktura directory without an agreement yet: Check now finds them.
        others = Customer.objects.filter(company=norway, einvoice_norway=False).exclude(
            national_id=""
        )
        for index, customer in enumerate(others.order_by("number")[:4]):
            EFakturaReceiver.objects.get_or_create(
                national_id=customer.national_id,
                defaults={
                    "name": customer.name,
                    "mobile": customer.phone_2,
                    "email": customer.email,
                    "postcode": customer.postcode,
                    "always_efaktura": True,
                    "blocked_issuers": [norway.organisation_number] if index == 3 else [],
                },
            )
    sweden = context.companies.get("SE")
    if sweden is not None:
        branch = sweden.branches.filter(is_main_office=True).first()
        activation = getattr(branch, "b2cse", None) if branch else None
        fui = activation.fui if activation and activation.fui else ""
        consumers = Customer.objects.filter(company=sweden).exclude(national_id="")
        for index, customer in enumerate(consumers.order_by("number")[:6]):
            if branch is None or customer.agreements.exists():
                continue
            bank = SWEDISH_BANKS[index % len(SWEDISH_BANKS)]
            fmi = f"{customer.national_id}.{bank}.SE"
            if fui:
                FmiRegistration.objects.get_or_create(
                    ssn=customer.national_id, issuer_fui=fui, defaults={"bank_id": bank}
                )
            path = [S.NEW, S.ACTIVE] if index % 3 else [S.NEW, S.ACTIVE, S.DELETED]
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
