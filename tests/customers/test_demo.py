"""Demo and benchmark customers: national ids are unique per company, as the service demands."""

import random

import pytest

from b2cportal.customers import demo
from b2cportal.customers.models import Customer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_build_customer_never_reuses_a_taken_national_id(company_no):
    # Replay the generator to learn the id it would draw first, then mark that id as taken.
    index = 0  # a consumer
    first = demo.build_customer(
        company=company_no, number="1", index=index, rng=random.Random("x")
    ).national_id
    taken = {first}
    again = demo.build_customer(
        company=company_no,
        number="1",
        index=index,
        rng=random.Random("x"),
        taken_national_ids=taken,
    )
    assert again.national_id
    assert again.national_id != first
    assert again.national_id in taken


def test_bulk_customers_do_not_reuse_existing_national_ids(company_no):
    rng = random.Random(f"bulk-{company_no.pk}-50")
    # The id the bulk generator would draw first already belongs to a customer.
    clash = demo.build_customer(company=company_no, number="1", index=0, rng=rng).national_id
    make_customer(company=company_no, number="9", national_id=clash)
    demo.bulk_create_customers(company=company_no, count=50)
    ids = list(
        Customer.objects.filter(company=company_no)
        .exclude(national_id="")
        .values_list("national_id", flat=True)
    )
    assert len(ids) == len(set(ids))
