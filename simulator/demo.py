"""Demo data of the simulated network (`demo_seeders` hooks of SimulatorConfig).

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
from b2cportal.companies.models import SwedenB2CActivation
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
    # An FMI is an agreement with one issuer: only once the company's B2CSE service has a FUI.
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
    """A `demo_seeders` hook: the simulated network's registers and directories."""
    _register(context)
    _directories(context)
    _efaktura_directory(context)
    _swedish_fmis(context)


def seed_active_services(context: DemoContext) -> None:
    """A `demo_seeders` hook, run first (order 0). A true story: the demo's agreements
    and bank deliveries need an active B2C service.

    Norway: AutoInvoice B2C is active on the main office (OSL Oslo) and not on Bergen, so the
    activation can still be tried out there. Sweden: B2CSE is active on Stockholm. The
    simulated network holds the matching active activation (decided by its own rules), and our
    side records what the poll would have recorded. Idempotent: an existing activation stays.
    """
    from django.utils import timezone

    from b2cportal.audit.models import AuditAction as Action
    from b2cportal.companies.models import (
        AutoInvoiceSettings,
        ConsumerEInvoiceService,
        Country,
        GiroType,
        NorwayActivationStatus,
        NorwayB2CActivation,
        SwedenActivationStatus,
        SwedenB2CActivation,
    )
    from b2cportal.companies.services.history import record, status_change

    from .adapter.activation import _complete
    from .models import ActivationRequest, ActivationRequestStatus, ServiceKind

    _register(context)  # the register knows the companies, so the B2CSE name check passes
    now = timezone.now()
    for country, company in context.companies.items():
        branch = company.branches.filter(is_main_office=True).first()
        if branch is None:
            continue
        model = NorwayB2CActivation if country == Country.NORWAY else SwedenB2CActivation
        if model.objects.filter(branch=branch).exists():
            continue
        payload = (
            {"signer_name": "Kari Nordmann", "signer_email": company.email, "branch": "OSL"}
            if country == Country.NORWAY
            else {"account_type": GiroType.BANKGIRO, "account": "50501055"}
        )
        request = ActivationRequest(
            service=ServiceKind.B2CNO if country == Country.NORWAY else ServiceKind.B2CSE,
            organisation_number=company.organisation_number,
            payload={**payload, "company_name": company.name},
            completes_at=now,
        )
        _complete(request)
        if request.status != ActivationRequestStatus.ACTIVE:
            continue
        request.save()
        if country == Country.NORWAY:
            NorwayB2CActivation.objects.create(
                branch=branch,
                status=NorwayActivationStatus.ACTIVE,
                signer_name="Kari Nordmann",
                signer_email=company.email,
                terms_sent_at=now,
                terms_accepted_at=now,
                activated_at=now,
                network_reference=str(request.reference),
            )
            service, action = ConsumerEInvoiceService.AUTOINVOICE_B2C, Action.B2CNO_ACTIVE
        else:
            SwedenB2CActivation.objects.create(
                branch=branch,
                status=SwedenActivationStatus.ACTIVE,
                account_type=GiroType.BANKGIRO,
                account_number="50501055",
                fui=request.result["fui"],
                agreement_id=request.result["agreement_id"],
                onboarding_url=request.result["onboarding_url"],
                submitted_at=now,
                activated_at=now,
                network_reference=str(request.reference),
            )
            service, action = ConsumerEInvoiceService.B2CSE, Action.B2CSE_ACTIVE
        AutoInvoiceSettings.objects.filter(branch=branch).update(consumer_einvoice_service=service)
        record(
            company=company,
            branch=branch,
            actor=None,
            action=action,
            changes=[status_change("not_activated", "active")],
        )
        context.log(f"{company.name}: B2C service active on {branch.branch_id} {branch.name}")
