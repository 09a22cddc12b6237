"""Plain builder functions for tests: make_x(**overrides) returns a saved object."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from b2cportal.companies.models import Branch, Company, Membership, Role
from b2cportal.customers.models import Customer, CustomerKind

_seq = itertools.count(1)

# Valid identifiers (check digits correct) for building companies in tests.
NORWEGIAN_ORGNRS = ["923609016", "974760673", "981566378", "915933149", "889640782"]
SWEDISH_ORGNRS = ["5560169095", "5565475489", "5562663062", "5568188180", "5560360793"]


def make_company(*, country: str = "NO", **overrides) -> Company:
    n = next(_seq)
    pool = NORWEGIAN_ORGNRS if country == "NO" else SWEDISH_ORGNRS
    defaults = {
        "name": f"Test Company {n} AS" if country == "NO" else f"Test Company {n} AB",
        "country": country,
        "organisation_number": pool[n % len(pool)]
        if "organisation_number" not in overrides
        else "",
        "currency": "NOK" if country == "NO" else "SEK",
        "address_line1": "Storgata 1" if country == "NO" else "Storgatan 1",
        "postcode": "0155" if country == "NO" else "11122",
        "city": "Oslo" if country == "NO" else "Stockholm",
    }
    defaults.update(overrides)
    # The pool is small; make sure repeated use in one test stays unique.
    while Company.objects.filter(
        country=defaults["country"], organisation_number=defaults["organisation_number"]
    ).exists():
        defaults["organisation_number"] = pool[next(_seq) % len(pool)]
        if Company.objects.filter(country=country).count() >= len(pool):
            defaults["organisation_number"] = f"9{next(_seq):08d}"[:9]
            break
    return Company.objects.create(**defaults)


def make_branch(*, company: Company, **overrides) -> Branch:
    n = next(_seq)
    defaults = {
        "branch_id": f"B{n}",
        "name": f"Branch {n}",
        "is_main_office": not company.branches.exists(),
    }
    defaults.update(overrides)
    return Branch.objects.create(company=company, **defaults)


def make_user(*, username: str | None = None, password: str = "pw", **overrides):
    user_model = get_user_model()
    username = username or f"user{next(_seq)}"
    return user_model.objects.create_user(username=username, password=password, **overrides)


def make_member(*, company: Company, role: str = Role.ACCOUNTANT, **user_overrides):
    user = make_user(**user_overrides)
    Membership.objects.create(user=user, company=company, role=role)
    return user


def make_customer(*, company: Company, **overrides) -> Customer:
    n = next(_seq)
    defaults = {
        "number": f"{10000 + n}",
        "name": f"Customer {n}",
        "kind": CustomerKind.CONSUMER,
        "country": company.country,
        "postcode": "0155" if company.country == "NO" else "11122",
        "city": "Oslo" if company.country == "NO" else "Stockholm",
        "language": "nb" if company.country == "NO" else "sv",
    }
    defaults.update(overrides)
    return Customer.objects.create(company=company, **defaults)


# --- Activation (settings and B2C service activation) ----------------------------------------


def make_register_entry(*, company: Company, name: str | None = None):
    """The company's entry in the simulated national register (defaults to its own name)."""
    from simulator.models import RegisterEntry

    entry, _created = RegisterEntry.objects.update_or_create(
        country=company.country,
        organisation_number=company.organisation_number,
        defaults={"name": company.name if name is None else name},
    )
    return entry


# --- Invoices -------------------------------------------------------------------------------

NORWEGIAN_BBAN = "86011117947"
SWEDISH_BANKGIRO = "5050-1055"
SWEDISH_SSN = "198112189876"


def invoice_ready_company(company: Company) -> Company:
    """Give a test company what invoices need: an account customers can pay into."""
    company.bank_account = NORWEGIAN_BBAN if company.country == "NO" else SWEDISH_BANKGIRO
    company.bank_account_type = "bban" if company.country == "NO" else "bankgiro"
    company.f_tax_approved = company.country == "SE"
    company.registered_in_foretaksregisteret = company.country == "NO"
    company.email = "billing@example.com"
    company.save()
    return company


def make_business_customer(*, company: Company, **overrides) -> Customer:
    orgnr = "974760673" if company.country == "NO" else "5565475489"
    defaults = {"kind": CustomerKind.BUSINESS, "organisation_number": orgnr, "name": "Buyer Ltd"}
    defaults.update(overrides)
    return make_customer(company=company, **defaults)


def make_invoice(*, company: Company, customer: Customer | None = None, lines=None, user=None):
    """A draft invoice with two lines at different VAT rates (services compute the totals)."""
    from datetime import date
    from decimal import Decimal

    from invoices.services import LineInput, create_draft

    customer = customer or make_customer(
        company=company, national_id=SWEDISH_SSN if company.country == "SE" else ""
    )
    second_rate = Decimal("15") if company.country == "NO" else Decimal("12")
    lines = lines or [
        LineInput("Consulting", Decimal("2"), Decimal("1000.00"), "HUR", "S", Decimal("25")),
        LineInput("Food", Decimal("3"), Decimal("33.33"), "EA", "S", second_rate),
    ]
    return create_draft(
        company=company,
        branch=company.branches.first(),
        customer=customer,
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 11, 16),
        lines=lines,
        acting_user=user,
    )


# --- Foundation: customers and staff (owned by the foundation helper) ----------------------

# Valid published/generated identifiers for customer tests.
SE_PERSONNUMMER_12 = "198112189876"  # Skatteverket's example 811218-9876
SE_SAMORDNINGSNUMMER_12 = "197010632391"  # day 03 + 60
NO_FODSELSNUMMER = "15076500565"
NO_D_NUMBER = "55076500044"


def make_staff(*, company: Company | None = None, role: str = Role.ADMINISTRATOR, **overrides):
    """A staff user (Django admin) with every companies/customers/network permission."""
    from django.contrib.auth.models import Permission

    user = make_user(is_staff=True, **overrides)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["companies", "customers", "network", "audit"]
        )
    )
    if company is not None:
        Membership.objects.create(user=user, company=company, role=role)
    return user
