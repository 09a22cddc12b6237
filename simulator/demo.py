"""Demo data of the simulated network (registered in SimulatorConfig.ready(), runs last).

The network's side of the demo: the national register knows the demo companies under exactly
their names (so activation's name check passes); Swedish consumers have an FMI, a Billo or a
Kivra account (some none, so fallbacks show); business customers are reachable over Peppol, our
internal network (Norway) or the operator address book (Sweden); a few Norwegian consumers are in
the eFaktura directory (one blocks the company) so *Check now* has something to find; and the
Swedish demo agreements' FMIs exist at the network.
Idempotent: rows are looked up by their natural keys.
"""

from __future__ import annotations

from agreements.models import AgreementNetwork, ConsumerAgreement
from b2cportal.companies.demo import DemoContext
from b2cportal.customers.models import Customer

from .models import (
    DigitalMailboxAccount,
    EFakturaReceiver,
    FmiRegistration,
    Participant,
    RegisterEntry,
)

SCHEME = {"NO": "0192", "SE": "0007"}


def _register(context: DemoContext) -> None:
    for company in context.companies.values():
        RegisterEntry.objects.update_or_create(
            country=company.country,
            organisation_number=company.organisation_number,
            defaults={"name": company.name},
        )


def _directories(context: DemoContext) -> None:
    customers = Customer.objects.filter(company__in=list(context.companies.values())).order_by(
        "company_id", "number"
    )
    counts = {"fmi": 0, "billo": 0, "kivra": 0, "peppol": 0, "operator": 0, "internal": 0}
    for index, customer in enumerate(customers):
        if customer.kind == "consumer" and customer.country == "SE" and customer.national_id:
            slot = index % 4
            if slot == 0:
                FmiRegistration.objects.get_or_create(
                    ssn=customer.national_id, bank_id="NB", issuer_fui=""
                )
                counts["fmi"] += 1
            elif slot in (1, 2):
                provider = "billo" if slot == 1 else "kivra"
                DigitalMailboxAccount.objects.get_or_create(
                    ssn=customer.national_id, provider=provider
                )
                counts[provider] += 1
        elif customer.kind == "business" and customer.organisation_number and index % 2 == 0:
            if index % 4 == 0:
                kind = "operator" if customer.country == "SE" else "internal"
            else:
                kind = "peppol"
            Participant.objects.get_or_create(
                kind=kind,
                scheme=SCHEME.get(customer.country, "0192"),
                identifier=customer.organisation_number,
                defaults={"name": customer.name},
            )
            counts[kind] += 1
    context.log(f"  simulated network directory: {counts}")


def _efaktura_directory(context: DemoContext) -> None:
    norway = context.companies.get("NO")
    if norway is None:
        return
    others = Customer.objects.filter(company=norway, einvoice_norway=False).exclude(national_id="")
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


def _swedish_fmis(context: DemoContext) -> None:
    sweden = context.companies.get("SE")
    if sweden is None:
        return
    agreements = ConsumerAgreement.objects.filter(
        branch__company=sweden, network=AgreementNetwork.SE_BANK, status="ACTIVE"
    ).select_related("customer", "branch__b2cse")
    for agreement in agreements:
        activation = getattr(agreement.branch, "b2cse", None)
        fui = activation.fui if activation is not None else ""
        parts = agreement.reference.split(".")
        if not fui or len(parts) != 3:
            continue
        FmiRegistration.objects.get_or_create(
            ssn=agreement.customer.national_id, issuer_fui=fui, defaults={"bank_id": parts[1]}
        )


def seed_simulated_network(context: DemoContext) -> None:
    """DEMO_SEEDERS hook: the simulated network's registers and directories."""
    _register(context)
    _directories(context)
    _efaktura_directory(context)
    _swedish_fmis(context)
