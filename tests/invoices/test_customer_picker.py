"""The customer picker: a number input with autocomplete from a tenant-scoped search endpoint."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoices.forms import InvoiceFilterForm, InvoiceHeaderForm
from invoices.models import Invoice
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db

SEARCH = "invoices:customer_search"


def test_search_returns_only_own_company_customers(client, inv_no, inv_se, accountant_no):
    own = make_customer(company=inv_no, number="70001", name="Hansen Kari")
    make_customer(company=inv_se, number="70002", name="Hansen Sven")
    make_customer(company=inv_no, number="70003", name="Hansen Gone", is_active=False)
    client.force_login(accountant_no)
    by_name = client.get(reverse(SEARCH), {"q": "hansen"}).json()["results"]
    by_number = client.get(reverse(SEARCH), {"q": "7000"}).json()["results"]
    assert by_name == [{"number": own.number, "name": own.name}]
    assert by_number == by_name


def test_search_returns_at_most_twenty_number_matches_first(client, inv_no, accountant_no):
    for n in range(25):
        make_customer(company=inv_no, number=f"8{n:04d}", name=f"Olsen {n}")
    named = make_customer(company=inv_no, number="X-1", name="Olsen 80001 AS")
    client.force_login(accountant_no)
    rows = client.get(reverse(SEARCH), {"q": "olsen"}).json()["results"]
    assert len(rows) == 20
    rows = client.get(reverse(SEARCH), {"q": "8000"}).json()["results"]
    assert [row["number"] for row in rows] == [f"8000{n}" for n in range(10)]
    # Digits search numbers only (index range); letters search names too.
    assert {"number": named.number, "name": named.name} not in rows
    rows = client.get(reverse(SEARCH), {"q": "x-1"}).json()["results"]
    assert rows == [{"number": named.number, "name": named.name}]
    assert client.get(reverse(SEARCH), {"q": "  "}).json() == {"results": []}


@pytest.mark.parametrize(
    ("numbers", "q", "found"),
    [
        (["208", "209", "2091", "2099", "21", "210"], "209", ["209", "2091", "2099"]),
        (["98", "99", "990", "9999"], "99", ["99", "990", "9999"]),
        (["1", "10", "2"], "1", ["1", "10"]),
    ],
)
def test_number_prefix_range_finds_exactly_the_prefix(inv_no, numbers, q, found):
    from invoices.selectors import customer_search

    for number in numbers:
        make_customer(company=inv_no, number=number)
    assert [row["number"] for row in customer_search(company=inv_no, q=q)] == found


def test_search_query_count_does_not_grow_with_matches(client, inv_no, accountant_no):
    client.force_login(accountant_no)
    make_customer(company=inv_no, name="Berg 0")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(SEARCH), {"q": "berg"})
    for n in range(1, 30):
        make_customer(company=inv_no, name=f"Berg {n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse(SEARCH), {"q": "berg"})
    assert len(response.json()["results"]) == 20
    assert len(many) == len(few)
    customer_queries = [q for q in many.captured_queries if "customers_customer" in q["sql"]]
    assert len(customer_queries) == 1


def test_search_needs_a_member(client, inv_no):
    response = client.get(reverse(SEARCH), {"q": "a"})
    assert response.status_code in (302, 403)


def test_invoice_form_has_no_select_of_all_customers(client, inv_no, accountant_no):
    for n in range(5):
        make_customer(company=inv_no, name=f"Listed Nowhere {n}")
    client.force_login(accountant_no)
    html = client.get(reverse("invoices:create")).content.decode()
    assert 'name="customer"' in html
    assert '<select name="customer"' not in html
    assert "Listed Nowhere" not in html
    assert f'data-customer-search="{reverse(SEARCH)}"' in html
    assert 'list="id_customer-options"' in html
    list_html = client.get(reverse("invoices:list")).content.decode()
    assert "Listed Nowhere" not in list_html
    assert 'list="id_customer-options"' in list_html


def test_header_form_refuses_another_companys_customer_number_on_the_field(inv_no, inv_se):
    foreign = make_customer(company=inv_se, number="55555")
    form = InvoiceHeaderForm(
        {"customer": foreign.number, "issue_date": "2026-11-02", "due_date": "2026-11-16"},
        company=inv_no,
    )
    assert not form.is_valid()
    assert form.errors["customer"] == ["No customer with number 55555 in this company."]


def test_header_form_accepts_a_number_or_a_picked_number_and_name(inv_no):
    customer = make_customer(company=inv_no, number="4711", name="Kari Nordmann")
    for typed in ("4711", " 4711 ", "4711 Kari Nordmann"):
        form = InvoiceHeaderForm(
            {"customer": typed, "issue_date": "2026-11-02", "due_date": "2026-11-16"},
            company=inv_no,
        )
        assert form.is_valid(), form.errors
        assert form.cleaned_data["customer"] == customer


def test_create_with_unknown_customer_number_keeps_the_lines(client, inv_no, accountant_no):
    from tests.invoices.test_views import _line_post

    client.force_login(accountant_no)
    response = client.post(
        reverse("invoices:create"),
        _line_post(customer="00000", issue_date="2026-11-02", due_date="2026-11-16"),
    )
    assert response.status_code == 200
    assert response.context["header"].errors["customer"] == [
        "No customer with number 00000 in this company."
    ]
    assert 'value="00000"' in response.content.decode()
    assert "Consulting" in response.content.decode()
    assert not Invoice.objects.exists()


def test_list_filters_by_customer_number_and_names_an_unknown_one(client, inv_no, accountant_no):
    kari = make_customer(company=inv_no, number="4711")
    own = make_invoice(company=inv_no, customer=kari)
    make_invoice(company=inv_no)
    client.force_login(accountant_no)
    response = client.get(reverse("invoices:list"), {"customer": "4711"})
    assert list(response.context["page"]) == [own]
    response = client.get(reverse("invoices:list"), {"customer": "9999"})
    assert response.context["form"].errors["customer"] == [
        "No customer with number 9999 in this company."
    ]
    assert "No customer with number 9999 in this company." in response.content.decode()
    assert list(response.context["page"]) == []  # not an unfiltered list that looks filtered


def test_filter_form_finds_inactive_customers_for_old_invoices(inv_no):
    gone = make_customer(company=inv_no, number="3333", is_active=False)
    form = InvoiceFilterForm({"customer": "3333"}, company=inv_no)
    assert form.is_valid()
    assert form.cleaned_data["customer"] == gone
