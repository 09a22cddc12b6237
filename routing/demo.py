"""Demo data: the simulated network's directories for the demo customers.

Swedish consumers get an FMI (with the company's FUI, once its B2CSE service has one: an FMI
is an agreement with one issuer; before that, consumers join on the simulated onboarding
page), a Billo or a Kivra account (some none, so fallbacks show);
every other business customer is reachable: mostly Peppol, some in our internal network
(Norway) or the operator address book (Sweden). Idempotent: rows are looked up by their
natural keys.
"""

from __future__ import annotations

from b2cportal.companies.models import SwedenB2CActivation
from b2cportal.customers.models import Customer
from b2cportal.network.models import DigitalMailboxAccount, FmiRegistration, Participant

SCHEME = {"NO": "0192", "SE": "0007"}


def seed_network_directory(context) -> None:
    customers = Customer.objects.filter(company__in=list(context.companies.values())).order_by(
        "company_id", "number"
    )
    counts = {"fmi": 0, "billo": 0, "kivra": 0, "peppol": 0, "operator": 0, "internal": 0}
    fuis = dict(
        SwedenB2CActivation.objects.filter(branch__company__in=list(context.companies.values()))
        .exclude(fui="")
        .values_list("branch__company_id", "fui")
    )
    for index, customer in enumerate(customers):
        if customer.kind == "consumer" and customer.country == "SE" and customer.national_id:
            slot = index % 4
            if slot == 0:
                fui = fuis.get(customer.company_id)
                if fui:
                    _fmi, created = FmiRegistration.objects.get_or_create(
                        ssn=customer.national_id, issuer_fui=fui, defaults={"bank_id": "NB"}
                    )
                    counts["fmi"] += created
            elif slot in (1, 2):
                provider = "billo" if slot == 1 else "kivra"
                _account, created = DigitalMailboxAccount.objects.get_or_create(
                    ssn=customer.national_id, provider=provider
                )
                counts[provider] += created
        elif customer.kind == "business" and customer.organisation_number and index % 2 == 0:
            if index % 4 == 0:
                kind = "operator" if customer.country == "SE" else "internal"
            else:
                kind = "peppol"
            _participant, created = Participant.objects.get_or_create(
                kind=kind,
                scheme=SCHEME.get(customer.country, "0192"),
                identifier=customer.organisation_number,
                defaults={"name": customer.name},
            )
            counts[kind] += created
    # What this run created (0 everywhere when the demo data was already there).
    context.log(f"  simulated network directory, created: {counts}")
