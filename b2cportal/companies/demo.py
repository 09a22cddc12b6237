"""Demo data for `manage.py seed_demo`: companies, branches, users, settings — then every app's.

Every app adds its own demo data through the `demo_seeders` extension point
(`b2cportal.extensions`): `(order, dotted path)` pairs on its AppConfig::

    demo_seeders = [(20, "agreements.demo.seed_demo_agreements")]

A seeder is `seeder(context: DemoContext) -> None`. It must be idempotent (running seed_demo
twice changes nothing the second time): look rows up by natural keys (`get_or_create`,
`update_or_create`, `bulk_create(ignore_conflicts=True)` on a unique constraint). Seeders run by
`order` (lower first), inside one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import TextIOBase
from operator import itemgetter
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.utils.module_loading import import_string

from b2cportal.extensions import contributions

from .models import (
    AutoInvoiceSettings,
    Branch,
    Company,
    Country,
    CustomerLedgerPreferences,
    Membership,
    Role,
)

DEMO_PASSWORD = "demo"


@dataclass
class DemoContext:
    """What the base seeding created, for the app seeders to build on."""

    companies: dict[str, Company]  # by country code: "NO", "SE"
    users: dict[str, User]  # by username
    stdout: TextIO | Any = None
    extra: dict[str, Any] = field(default_factory=dict)  # seeders may share data here

    def log(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)


# Valid identifiers (check digits computed with python-stdnum; see tests/companies/test_demo.py).
DEMO_COMPANIES = {
    Country.NORWAY: {
        "name": "Fjordkraft Demo AS",
        "organisation_number": "923456783",
        "vat_number": "NO923456783MVA",
        "address_line1": "Karl Johans gate 1",
        "postcode": "0154",
        "city": "Oslo",
        "currency": "NOK",
        "email": "faktura@fjordkraft-demo.example",
        "phone": "+4722123456",
        "bank_account": "15031234562",
        "bank_account_type": "bban",
        "vat_registered": True,
        "registered_in_foretaksregisteret": True,
        "branches": [
            {
                "branch_id": "OSL",
                "name": "Oslo",
                "is_main_office": True,
                "postcode": "0154",
                "city": "Oslo",
                "address_line1": "Karl Johans gate 1",
            },
            {
                "branch_id": "BGO",
                "name": "Bergen",
                "is_main_office": False,
                "postcode": "5003",
                "city": "Bergen",
                "address_line1": "Bryggen 5",
            },
        ],
    },
    Country.SWEDEN: {
        "name": "Skärgård Demo AB",
        "organisation_number": "5566778899",
        "vat_number": "SE556677889901",
        "address_line1": "Drottninggatan 10",
        "postcode": "11151",
        "city": "Stockholm",
        "currency": "SEK",
        "email": "faktura@skargard-demo.example",
        "phone": "+4681234567",
        "bank_account": "5050-1055",
        "bank_account_type": "bankgiro",
        "vat_registered": True,
        "f_tax_approved": True,
        "branches": [
            {
                "branch_id": "STO",
                "name": "Stockholm",
                "is_main_office": True,
                "postcode": "11151",
                "city": "Stockholm",
                "address_line1": "Drottninggatan 10",
            },
        ],
    },
}

DEMO_ROLES = {"admin": Role.ADMINISTRATOR, "accountant": Role.ACCOUNTANT, "support": Role.SUPPORT}
SUPERUSER = "admin"


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, company, role) for the README and the command's closing message."""
    rows = [(SUPERUSER, "—", "superuser (Django admin, all companies)")]
    for country, data in DEMO_COMPANIES.items():
        for prefix, role in DEMO_ROLES.items():
            rows.append((f"{country.lower()}-{prefix}", str(data["name"]), str(role.label)))
    return rows


def _seed_company(country: str, data: dict[str, Any]) -> Company:
    values = {k: v for k, v in data.items() if k != "branches"}
    company, _ = Company.objects.update_or_create(
        country=country,
        organisation_number=values.pop("organisation_number"),
        defaults={**values},
    )
    for branch_data in data["branches"]:
        branch, _ = Branch.objects.update_or_create(
            company=company,
            branch_id=branch_data["branch_id"],
            defaults={
                **{k: v for k, v in branch_data.items() if k != "branch_id"},
                "rf1301_contact_name": "Kari Nordmann" if country == "NO" else "",
                "rf1301_contact_email": data["email"] if country == "NO" else "",
                "rf1301_contact_phone": data["phone"] if country == "NO" else "",
            },
        )
        AutoInvoiceSettings.objects.get_or_create(
            branch=branch,
            defaults={
                "contact_person": "Kari Nordmann" if country == "NO" else "Anna Svensson",
                "contact_email": data["email"],
                "contact_phone": data["phone"],
            },
        )
    CustomerLedgerPreferences.objects.get_or_create(company=company)
    return company


def _staff_permissions() -> list[Permission]:
    return list(
        Permission.objects.filter(content_type__app_label__in=["companies", "customers", "audit"])
    )


def _seed_user(username: str, *, superuser: bool = False, staff: bool = False):
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username)
    user.is_superuser = superuser
    user.is_staff = superuser or staff
    user.email = f"{username}@demo.example"
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def seed_base(*, stdout: TextIO | TextIOBase | None = None) -> DemoContext:
    """Companies, branches, settings rows, register entries and one user per role."""
    companies: dict[str, Company] = {
        country: _seed_company(country, data) for country, data in DEMO_COMPANIES.items()
    }
    users: dict[str, User] = {}
    staff_permissions = _staff_permissions()
    for country, company in companies.items():
        for prefix, role in DEMO_ROLES.items():
            username = f"{country.lower()}-{prefix}"
            # Administrators may also use the Django admin, scoped to their own company.
            user = _seed_user(username, staff=role == Role.ADMINISTRATOR)
            if role == Role.ADMINISTRATOR:
                user.user_permissions.set(staff_permissions)
            Membership.objects.update_or_create(user=user, company=company, defaults={"role": role})
            users[username] = user
    superuser = _seed_user(SUPERUSER, superuser=True)
    for company in companies.values():
        Membership.objects.update_or_create(
            user=superuser, company=company, defaults={"role": Role.ADMINISTRATOR}
        )
    users[SUPERUSER] = superuser
    return DemoContext(companies=companies, users=users, stdout=stdout)


@transaction.atomic
def seed_demo(*, stdout: TextIO | TextIOBase | None = None) -> DemoContext:
    """Create or refresh all demo data: the base, then every app's seeder (`demo_seeders`)."""
    context = seed_base(stdout=stdout)
    for _order, path in sorted(contributions("demo_seeders"), key=itemgetter(0)):
        import_string(path)(context)
    return context
