"""Bad input never gets a 500: NUL bytes, huge page numbers, amounts beyond the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from b2cportal.companies.models import Role
from invoices.calc import MAX_AMOUNT
from invoices.models import Invoice
from invoices.services import InvoiceError, LineInput, create_draft
from tests.factories import invoice_ready_company, make_customer, make_member, make_user

pytestmark = pytest.mark.django_db

HUGE_PAGE = "999999999999999999999"


def _plain_paths(patterns=None, prefix: str = "") -> list[str]:
    """Every URL without a path argument (lists, forms, searches), the admin included."""
    paths = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if "<" in route or route.startswith("^"):
            continue
        if isinstance(entry, URLResolver):
            paths += _plain_paths(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            paths.append("/" + prefix + route)
    return sorted(set(paths) - {"/accounts/logout/"})


ADMIN_LISTS = [
    "/admin/customers/customer/",
    "/admin/companies/company/",
    "/admin/invoices/invoice/",
    "/admin/agreements/consumeragreement/",
]


@pytest.fixture
def superuser_client(client, company_no):
    invoice_ready_company(company_no)
    user = make_user(is_staff=True, is_superuser=True)
    from b2cportal.companies.models import Membership

    Membership.objects.create(user=user, company=company_no, role=Role.ADMINISTRATOR)
    make_customer(company=company_no)
    client.force_login(user)
    return client


def test_a_nul_byte_in_the_query_string_is_400_on_every_page(superuser_client):
    failures = {}
    for path in [*_plain_paths(), *ADMIN_LISTS]:
        response = superuser_client.get(path, {"q": "ab\x00c", "status": "x\x00"})
        if response.status_code != 400:
            failures[path] = response.status_code
    assert not failures


def test_a_huge_page_number_is_never_a_500(superuser_client):
    failures = {}
    for path in [*_plain_paths(), *ADMIN_LISTS]:
        response = superuser_client.get(path, {"page": HUGE_PAGE, "p": HUGE_PAGE})
        if response.status_code >= 500:
            failures[path] = response.status_code
    assert not failures
    assert superuser_client.get("/customers/", {"page": HUGE_PAGE}).status_code == 404


def test_a_nul_byte_in_form_data_is_400(client, company_no):
    user = make_member(company=company_no, role=Role.ADMINISTRATOR)
    client.force_login(user)
    response = client.post(reverse("customers:create"), {"name": "Kari\x00", "number": "1"})
    assert response.status_code == 400


def _line_post(**overrides) -> dict:
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "500",
        "lines-0-description": "Consulting",
        "lines-0-quantity": "2",
        "lines-0-unit": "HUR",
        "lines-0-unit_price": "100.00",
        "lines-0-vat_category": "S",
        "lines-0-vat_rate": "25.00",
        "lines-0-exemption_reason": "",
    }
    data.update(overrides)
    return data


def test_an_oversize_line_amount_is_a_field_error(client, company_no):
    company = invoice_ready_company(company_no)
    customer = make_customer(company=company)
    client.force_login(make_member(company=company, role=Role.ACCOUNTANT))
    data = _line_post(
        customer=customer.number,
        issue_date="2026-11-02",
        due_date="2026-11-16",
        **{"lines-0-quantity": "999999999", "lines-0-unit_price": "999999999999.99"},
    )
    response = client.post(reverse("invoices:create"), data)
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["unit_price"]
    assert not Invoice.objects.exists()


def test_an_oversize_document_total_is_a_form_error(client, company_no):
    company = invoice_ready_company(company_no)
    customer = make_customer(company=company)
    client.force_login(make_member(company=company, role=Role.ACCOUNTANT))
    # Each line fits; with 25 % VAT the total does not.
    data = _line_post(
        customer=customer.number,
        issue_date="2026-11-02",
        due_date="2026-11-16",
        **{"lines-0-quantity": "1", "lines-0-unit_price": "900000000000.00"},
    )
    response = client.post(reverse("invoices:create"), data)
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert not Invoice.objects.exists()


def test_the_service_refuses_amounts_beyond_the_database(company_no):
    company = invoice_ready_company(company_no)
    customer = make_customer(company=company)
    branch = company.branches.first()
    line = LineInput(description="x", quantity=Decimal("2"), unit_price=MAX_AMOUNT)
    with pytest.raises(InvoiceError):
        create_draft(
            company=company,
            branch=branch,
            customer=customer,
            issue_date=date(2026, 11, 2),
            due_date=date(2026, 11, 16),
            lines=[line],
            acting_user=None,
        )
    assert not Invoice.objects.exists()
