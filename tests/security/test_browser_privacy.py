"""In a real browser: national-ID searches stay out of URLs; pages run under the strict CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from b2cportal.companies.models import Role
from tests.factories import (
    SE_PERSONNUMMER_12,
    invoice_ready_company,
    make_customer,
    make_invoice,
    make_member,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_by_national_id_keeps_it_out_of_the_address_bar(page, login, company_se):
    make_customer(company=company_se, name="Sven Hemlig", national_id=SE_PERSONNUMMER_12)
    make_customer(company=company_se, name="Anna Annan")
    login(make_member(company=company_se, role=Role.SUPPORT))
    page.goto("/customers/")
    page.fill("input[name=q]", "811218-9876")
    with page.expect_navigation():
        page.click("[data-testid=customer-search]")
    rows = page.locator("[data-testid=customer-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sven Hemlig")
    assert "9876" not in page.url
    assert "811218" not in page.url
    # The search box keeps the term, so the user sees what was searched.
    assert page.locator("input[name=q]").input_value() == "811218-9876"

    # Bad input: a number that is nobody's shows an empty list, and still no number in the URL.
    page.fill("input[name=q]", "811218-0000")
    with page.expect_navigation():
        page.click("[data-testid=customer-search]")
    expect(page.locator("[data-testid=customer-row]")).to_have_count(0)
    assert "0000" not in page.url


def test_screens_work_under_the_content_security_policy(page, login, company_no):
    """No CSP violation on the screens whose scripts moved out of the templates."""
    company = invoice_ready_company(company_no)
    invoice = make_invoice(company=company)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    login(make_member(company=company, role=Role.ADMINISTRATOR))
    for url in ["/customers/", "/invoices/new/", f"/invoices/{invoice.pk}/", "/settings/"]:
        page.goto(url)
        page.wait_for_load_state("load")
    # The language switcher submits on change (data-autosubmit, wired by static/js/app.js).
    page.goto("/customers/")
    with page.expect_navigation():
        page.select_option("#language-select", "nb")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    # The draft's delete button asks first (data-confirm); dismissing keeps the draft.
    page.goto(f"/invoices/{invoice.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("[data-testid=delete]")
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/invoices/{invoice.pk}/")
    assert violations == []
