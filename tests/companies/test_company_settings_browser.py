"""Browser: Settings → Company (seller facts, account type) and the InExchange explanation."""

from __future__ import annotations

import pytest

from b2cportal.companies.models import AutoInvoiceSettings

pytestmark = pytest.mark.browser


def test_a_plusgiro_typed_without_hyphen_is_stored_as_plusgiro(page, login, company_se, admin_se):
    login(admin_se)
    page.goto("/settings/")
    page.click("[data-testid=nav-company-documents]")
    page.wait_for_selector("[data-testid=company-form]")
    page.fill("input[name=vat_number]", "SE556016909501")
    page.fill("input[name=bank_account]", "9020033")
    page.select_option("select[name=bank_account_type]", "plusgiro")
    page.check("input[name=f_tax_approved]")
    page.click("[data-testid=save-company]")
    page.wait_for_selector(".alert-success")
    assert page.input_value("input[name=bank_account]") == "902003-3"
    company_se.refresh_from_db()
    assert (company_se.bank_account, company_se.bank_account_type) == ("902003-3", "plusgiro")
    assert company_se.f_tax_approved is True
    # The change is on record, on the same screen.
    assert "Company details changed" in page.content()


def test_a_vat_number_of_another_company_is_refused_on_its_field(page, login, company_no, admin_no):
    login(admin_no)
    page.goto("/settings/company/documents/")
    page.fill("input[name=vat_number]", "NO974760673MVA")  # valid, but another company's
    page.fill("input[name=bank_account]", "8601.11.17947")
    page.click("[data-testid=save-company]")
    error = page.locator("#div_id_vat_number .invalid-feedback")
    error.wait_for()
    assert "must be the company's own" in error.text_content()
    company_no.refresh_from_db()
    assert company_no.vat_number == ""
    assert company_no.bank_account == ""
    assert page.input_value("input[name=bank_account]") == "8601.11.17947"  # input kept


def test_the_inexchange_customer_setting_is_explained_and_saved(page, login, company_se, admin_se):
    login(admin_se)
    page.goto("/settings/")
    form = page.locator("[data-testid=autoinvoice-form]")
    assert "customer of InExchange" in form.text_content()
    assert "without even trying the B2C route" in form.text_content()
    page.check("input[name=is_inexchange_customer]")
    page.uncheck("input[name=prevent_routing_through_inexchange]")
    page.click("[data-testid=save-settings]")
    page.wait_for_selector(".alert-success")
    row = AutoInvoiceSettings.objects.get(branch__company=company_se)
    assert (row.is_inexchange_customer, row.prevent_routing_through_inexchange) == (True, False)
