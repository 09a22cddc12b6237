"""Issue 9, part 5, "Large invoices": made, released and credited through the screens.

A 500-line invoice used to lose its input to Django's 1,000-field limit (about 120 lines), and
the credit-note page of a 5,000-line invoice took 84 s (one template loop over every field for
every line). The limits are stated on the screens.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from invoices.calc import compute_totals
from invoices.forms import MAX_CREDIT_PAGE_LINES, MAX_FORM_LINES
from invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from tests.factories import invoice_ready_company, make_business_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def inv_no(company_no):
    return invoice_ready_company(company_no)


def _formset_post(customer, count: int) -> dict[str, str]:
    today = timezone.localdate()
    data = {
        "customer": customer.number,
        "issue_date": today.isoformat(),
        "due_date": (today + timedelta(days=14)).isoformat(),
        "buyer_reference": "",
        "note": "",
        "lines-TOTAL_FORMS": str(count),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": str(MAX_FORM_LINES),
    }
    for i in range(count):
        data |= {
            f"lines-{i}-description": f"Line {i + 1} \u2013 Čađa ŋ",
            f"lines-{i}-quantity": "7",
            f"lines-{i}-unit": "EA",
            f"lines-{i}-unit_price": "14.29",
            f"lines-{i}-vat_category": "S",
            f"lines-{i}-vat_rate": "25.00" if i % 2 else "15.00",
            f"lines-{i}-exemption_reason": "",
        }
    return data


def _fastest(client, url: str, runs: int = 5) -> tuple[float, object]:
    """The best of several runs: the shared 2-core machine's load only ever adds time."""
    best, response = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        best = min(best, time.perf_counter() - started)
    return best, response


def test_a_500_line_invoice_is_created_released_and_credited_through_the_screens(
    client, inv_no, accountant_no
):
    customer = make_business_customer(company=inv_no)
    client.force_login(accountant_no)
    response = client.post(reverse("invoices:create"), _formset_post(customer, MAX_FORM_LINES))
    assert response.status_code == 302, response.content[:2000]
    invoice = Invoice.objects.get(customer=customer)
    assert invoice.lines.count() == MAX_FORM_LINES
    assert invoice.total_excl_vat == Decimal("50015.00")  # 500 x 7 x 14.29

    edit, response = _fastest(client, reverse("invoices:edit", args=[invoice.pk]))
    assert response.status_code == 200
    assert edit < 1.0, f"edit page took {edit:.2f} s"
    assert "Up to 500 lines per invoice." in response.content.decode()

    response = client.post(reverse("invoices:release", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN, [str(m) for m in response.wsgi_request._messages]

    detail, response = _fastest(client, invoice.get_absolute_url())
    assert response.status_code == 200
    assert detail < 1.0, f"invoice page took {detail:.2f} s"
    print(f"500 lines: edit page {edit:.3f} s, invoice page {detail:.3f} s")

    credit_url = reverse("invoices:credit", args=[invoice.pk])
    page, response = _fastest(client, credit_url)
    assert response.status_code == 200
    assert page < 1.0, f"credit-note page took {page:.2f} s"
    print(f"500 lines: credit-note page {page:.3f} s")
    lines = list(invoice.lines.all())
    # Credit 2.5 of every line now and the rest later: the credits add up to the invoice.
    first = {f"qty_{line.pk}": "2.5" for line in lines} | {"note": ""}
    response = client.post(credit_url, first)
    assert response.status_code == 302
    credit = Invoice.objects.get(credited_invoice=invoice)
    client.post(reverse("invoices:release", args=[credit.pk]))
    response = client.post(credit_url, {f"qty_{line.pk}": "4.5" for line in lines} | {"note": ""})
    assert response.status_code == 302
    last = Invoice.objects.filter(credited_invoice=invoice).exclude(pk=credit.pk).get()
    client.post(reverse("invoices:release", args=[last.pk]))
    credit.refresh_from_db()
    last.refresh_from_db()
    invoice.refresh_from_db()
    assert last.status == InvoiceStatus.OPEN
    assert invoice.status == InvoiceStatus.CLOSED
    assert credit.total_excl_vat + last.total_excl_vat == invoice.total_excl_vat
    assert credit.total_vat + last.total_vat == invoice.total_vat


def test_more_lines_than_the_stated_limit_get_a_clear_error_and_keep_the_input(
    client, inv_no, accountant_no
):
    customer = make_business_customer(company=inv_no)
    client.force_login(accountant_no)
    data = _formset_post(customer, MAX_FORM_LINES + 1)
    data["lines-MAX_NUM_FORMS"] = str(MAX_FORM_LINES + 1)
    response = client.post(reverse("invoices:create"), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Please submit at most 500 forms." in content
    assert "Line 500 \u2013 Čađa ŋ" in content  # the typed lines are shown again, not lost
    assert not Invoice.objects.filter(customer=customer).exists()


def _open_invoice_with_lines(company, count: int) -> Invoice:
    """A released invoice with `count` lines, written directly (the API/import path)."""
    customer = make_business_customer(company=company)
    invoice = Invoice.objects.create(
        company=company,
        branch=company.branches.get(is_main_office=True),
        customer=customer,
        kind=InvoiceKind.INVOICE,
        number=f"L{count}",
        status=InvoiceStatus.OPEN,
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 11, 16),
        currency=company.currency,
        released_at=timezone.now(),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=i,
            description=f"Item {i}",
            quantity=Decimal("3"),
            unit_price=Decimal("0.05"),
            vat_rate=Decimal("25"),
            line_total=Decimal("0.15"),
        )
        for i in range(1, count + 1)
    )
    totals = compute_totals(invoice.lines.all())
    Invoice.objects.filter(pk=invoice.pk).update(
        total_excl_vat=totals.excl_vat, total_vat=totals.vat, total_incl_vat=totals.incl_vat
    )
    return invoice


def test_the_credit_note_page_of_a_5000_line_invoice_answers_in_under_a_second(
    client, inv_no, accountant_no, django_assert_max_num_queries
):
    invoice = _open_invoice_with_lines(inv_no, 5000)
    client.force_login(accountant_no)
    url = reverse("invoices:credit", args=[invoice.pk])
    detail, page = _fastest(client, invoice.get_absolute_url())
    assert page.status_code == 200
    assert detail < 1.0, f"invoice page took {detail:.2f} s"
    elapsed, response = _fastest(client, url)
    print(f"5,000 lines: invoice page {detail:.3f} s, credit-note page {elapsed:.3f} s")
    with django_assert_max_num_queries(10):  # not one per line
        client.get(url)
    assert response.status_code == 200
    assert elapsed < 1.0, f"credit-note page took {elapsed:.2f} s"
    content = response.content.decode()
    assert content.count('data-testid="credit-quantity"') == 5000
    assert "5,000 lines" in content or "5000 lines" in content

    # One bad quantity among 5,000 is named on its line; nothing is created.
    lines = list(invoice.lines.values_list("pk", flat=True))
    data = {f"qty_{pk}": "1" for pk in lines} | {f"qty_{lines[7]}": "4", "note": ""}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "At most 3 remains uncredited." in response.content.decode()
    assert not Invoice.objects.filter(credited_invoice=invoice).exists()

    started = time.perf_counter()
    response = client.post(url, {f"qty_{pk}": "1" for pk in lines} | {"note": ""})
    created = time.perf_counter() - started
    print(f"5,000 lines: credit note created in {created:.3f} s")
    assert response.status_code == 302
    assert created < 10.0
    credit = Invoice.objects.get(credited_invoice=invoice)
    assert credit.lines.count() == 5000


def test_past_the_page_limit_an_invoice_is_credited_in_full(
    client, inv_no, accountant_no, settings, monkeypatch
):
    import invoices.views

    invoice = _open_invoice_with_lines(inv_no, 3)
    client.force_login(accountant_no)
    url = reverse("invoices:credit", args=[invoice.pk])
    monkeypatch.setattr(invoices.views, "MAX_CREDIT_PAGE_LINES", 2)
    content = client.get(url).content.decode()
    assert "credits everything that remains uncredited" in content
    assert 'data-testid="credit-quantity"' not in content
    response = client.post(url, {"note": ""})
    assert response.status_code == 302
    credit = Invoice.objects.get(credited_invoice=invoice)
    invoice.refresh_from_db()
    assert credit.total_incl_vat == invoice.total_incl_vat == Decimal("0.56")
    # One quantity per line of the largest listed invoice fits the request's field limit.
    assert MAX_CREDIT_PAGE_LINES + 10 <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert MAX_FORM_LINES * 8 + 20 <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS


@pytest.mark.parametrize("language", ["en", "nb", "sv"])
def test_the_fast_formatter_writes_what_the_screens_always_wrote(language):
    """The large pages format numbers in one pass; the text is the same as `format_number` /
    `format_money` give."""
    from django.utils import translation

    from invoices.formatting import format_money, format_number, number_formatter

    values = [Decimal("1234567.5"), Decimal("0.05"), Decimal("7.500"), Decimal("1E+2"), 3]
    values += [Decimal("-1234.25"), "12.00", Decimal("0.001"), Decimal("999999999999.999")]
    with translation.override(language):
        number, money = number_formatter(), number_formatter(decimal_pos=2)
        assert [number(v) for v in values] == [format_number(v) for v in values]
        assert [money(v) for v in values] == [format_money(v) for v in values]
