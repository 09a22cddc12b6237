"""Demo and benchmark customers with valid, generated identifiers.

Identifiers get real check digits from python-stdnum (Luhn for Swedish personnummer and
organisation numbers, MOD11 for Norwegian fødselsnummer and organisation numbers), so every
generated customer passes the same validation as one typed into the form.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

import phonenumbers
from django.db.models import Max
from stdnum import luhn
from stdnum.no import fodselsnummer
from stdnum.no import orgnr as no_orgnr

from b2cportal.companies.demo import DemoContext
from b2cportal.companies.models import Company, Country

from .models import Customer, CustomerKind, DeliveryMethod

DEMO_CUSTOMERS_PER_COMPANY = 60
BULK_BATCH_SIZE = 2000
# Benchmark customers get 7-digit numbers from here on, so they never collide with the demo's.
BULK_FIRST_NUMBER = 2_000_000

FIRST_NAMES = {
    "NO": [
        "Kari",
        "Ola",
        "Ingrid",
        "Lars",
        "Sigrid",
        "Henrik",
        "Nora",
        "Magnus",
        "Solveig",
        "Even",
    ],
    "SE": ["Anna", "Erik", "Maja", "Lars", "Elsa", "Oskar", "Astrid", "Nils", "Ebba", "Gustav"],
}
LAST_NAMES = {
    "NO": ["Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Bakke", "Dahl"],
    "SE": ["Svensson", "Andersson", "Johansson", "Karlsson", "Nilsson", "Lindqvist", "Berg", "Ek"],
}
BUSINESS_WORDS = ["Bygg", "Consulting", "Fisk", "Handel", "Transport", "Design", "Elektro", "Data"]
CITIES = {
    "NO": [
        ("0154", "Oslo"),
        ("5003", "Bergen"),
        ("7010", "Trondheim"),
        ("4006", "Stavanger"),
        ("9008", "Tromsø"),
    ],
    "SE": [
        ("11151", "Stockholm"),
        ("41101", "Göteborg"),
        ("21119", "Malmö"),
        ("75310", "Uppsala"),
        ("90325", "Umeå"),
    ],
}
STREETS = {"NO": "Storgata", "SE": "Storgatan"}


def norwegian_national_id(rng: random.Random, *, d_number: bool = False) -> str:
    """A valid fødselsnummer (or D-number: day + 40) for someone born 1940-1999."""
    while True:
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 60))
        day = born.day + (40 if d_number else 0)
        individual = rng.randrange(0, 500)  # 000-499: born in the 1900s
        base = f"{day:02d}{born.month:02d}{born.year % 100:02d}{individual:03d}"
        first = fodselsnummer.calc_check_digit1(base)
        if len(first) != 1:
            continue
        second = fodselsnummer.calc_check_digit2(base + first)
        if len(second) != 1:
            continue
        number = base + first + second
        if fodselsnummer.is_valid(number):
            return number


def swedish_personal_number(rng: random.Random, *, coordination: bool = False) -> str:
    """A valid personnummer (or samordningsnummer: day + 60), canonical 12 digits."""
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
    day = born.day + (60 if coordination else 0)
    nine = f"{born.year % 100:02d}{born.month:02d}{day:02d}{rng.randrange(1000):03d}"
    return f"{born.year // 100}{nine}{luhn.calc_check_digit(nine)}"


def norwegian_organisation_number(rng: random.Random) -> str:
    while True:
        base = f"{rng.choice('89')}{rng.randrange(10**7):07d}"
        for digit in "0123456789":
            if no_orgnr.is_valid(base + digit):
                return base + digit


def swedish_organisation_number(rng: random.Random) -> str:
    # Group 5 (aktiebolag), third digit >= 2 as Bolagsverket's numbers have.
    nine = f"55{rng.randrange(2, 10)}{rng.randrange(10**6):06d}"
    return nine + luhn.calc_check_digit(nine)


def _valid_phone(rng: random.Random, make, wanted_types) -> str:
    # Not every random digit string is an allocated number range; keep drawing until
    # phonenumbers accepts it, so demo data passes the same check as typed input.
    while True:
        number = make()
        parsed = phonenumbers.parse(number, None)
        if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
            wanted_types
        ):
            return number


def mobile_number(rng: random.Random, country: str) -> str:
    if country == Country.NORWAY:
        make = lambda: f"+47{rng.choice('49')}{rng.randrange(10**7):07d}"  # noqa: E731
    else:
        make = lambda: f"+4670{rng.randrange(10**7):07d}"  # noqa: E731
    return _valid_phone(rng, make, (phonenumbers.PhoneNumberType.MOBILE,))


def landline_number(rng: random.Random, country: str) -> str:
    if country == Country.NORWAY:
        make = lambda: f"+4722{rng.randrange(10**6):06d}"  # noqa: E731
    else:
        make = lambda: f"+468{rng.randrange(10**7):07d}"  # noqa: E731
    return _valid_phone(rng, make, (phonenumbers.PhoneNumberType.FIXED_LINE,))


def build_customer(
    *,
    company: Company,
    number: str,
    index: int,
    rng: random.Random,
    taken_national_ids: set[str] | None = None,
) -> Customer:
    """One unsaved customer; `index` decides the mix of kinds and e-invoice settings.

    `taken_national_ids` holds the company's national ids so far; a new one is drawn until it
    is unused (a national id is unique per company) and added to it.
    """
    country = company.country
    postcode, city = CITIES[country][index % len(CITIES[country])]
    first = rng.choice(FIRST_NAMES[country])
    last = rng.choice(LAST_NAMES[country])
    business = index % 5 == 4
    customer = Customer(
        company=company,
        number=number,
        country=country,
        postcode=postcode,
        city=city,
        address_line1=f"{STREETS[country]} {index % 90 + 1}",
        language="nb" if country == Country.NORWAY else "sv",
    )
    if business:
        suffix = "AS" if country == Country.NORWAY else "AB"
        customer.kind = CustomerKind.BUSINESS
        customer.name = f"{last} {rng.choice(BUSINESS_WORDS)} {suffix}"
        customer.organisation_number = (
            norwegian_organisation_number(rng)
            if country == Country.NORWAY
            else swedish_organisation_number(rng)
        )
        customer.email = f"faktura{index}@{last.lower()}-{number}.example"
        customer.phone_1 = landline_number(rng, country)
        customer.delivery_method = DeliveryMethod.EMAIL
        return customer
    customer.kind = CustomerKind.CONSUMER
    customer.name = f"{first} {last}"
    special = index % 7 == 3  # D-numbers and samordningsnummer, too
    taken = set() if taken_national_ids is None else taken_national_ids
    while True:
        national_id = (
            norwegian_national_id(rng, d_number=special)
            if country == Country.NORWAY
            else swedish_personal_number(rng, coordination=special)
        )
        if national_id not in taken:
            break
    taken.add(national_id)
    customer.national_id = national_id
    contact = index % 4
    if contact in (0, 1):
        customer.phone_2 = mobile_number(rng, country)  # phone 2 is the default mobile field
    if contact in (0, 2):
        customer.email = f"{first.lower()}.{last.lower()}{index}@example.com"
    if contact == 3:
        customer.delivery_method = DeliveryMethod.PRINT
    else:
        customer.delivery_method = DeliveryMethod.AUTOINVOICE
    # Norway: about half of the consumers who can have it want e-invoice in their bank.
    customer.einvoice_norway = country == Country.NORWAY and contact != 3 and index % 2 == 0
    customer.is_active = index % 23 != 22
    return customer


def seed_demo_customers(context: DemoContext) -> None:
    """A `demo_seeders` hook: 60 customers per demo company, numbers 10001-10060 (idempotent)."""
    for company in context.companies.values():
        rng = random.Random(f"demo-{company.country}")
        taken: set[str] = set()
        customers = [
            build_customer(
                company=company,
                number=str(10001 + i),
                index=i,
                rng=rng,
                taken_national_ids=taken,
            )
            for i in range(DEMO_CUSTOMERS_PER_COMPANY)
        ]
        # The unique (company, number) constraint makes a re-run a no-op.
        Customer.objects.bulk_create(customers, ignore_conflicts=True)
        context.log(f"{company.name}: {customers_count(company)} customers")


def customers_count(company: Company) -> int:
    return Customer.objects.filter(company=company).count()


def _bulk_numbers(company: Company, count: int) -> Iterator[str]:
    highest = (
        Customer.objects.filter(company=company, number__regex=r"^[2-9][0-9]{6}$")
        .aggregate(highest=Max("number"))
        .get("highest")
    )
    start = int(highest) + 1 if highest else BULK_FIRST_NUMBER
    return (str(n) for n in range(start, start + count))


def bulk_create_customers(*, company: Company, count: int) -> int:
    """Create `count` more customers fast (batched inserts) for benchmarks; returns the count."""
    rng = random.Random(f"bulk-{company.pk}-{count}")
    created = 0
    batch: list[Customer] = []
    taken = set(
        Customer.objects.filter(company=company)
        .exclude(national_id="")
        .values_list("national_id", flat=True)
    )
    for index, number in enumerate(_bulk_numbers(company, count)):
        batch.append(
            build_customer(
                company=company, number=number, index=index, rng=rng, taken_national_ids=taken
            )
        )
        if len(batch) >= BULK_BATCH_SIZE:
            Customer.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    if batch:
        Customer.objects.bulk_create(batch)
        created += len(batch)
    return created
