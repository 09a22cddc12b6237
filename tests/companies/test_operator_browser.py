"""Browser: Settings -> Operator connection, main path on the fake operator and bad input (sv)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from b2cportal.companies.models import OperatorConnection, Role
from tests.factories import make_branch, make_company, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INVALID = re.compile("is-invalid")


def test_admin_connects_tests_and_the_key_stays_hidden(page, login, operator_mode):
    company = make_company(country="NO", name="Fjordtech AS", organisation_number="923609016")
    make_branch(company=company, branch_id="MAIN", name="Oslo", is_main_office=True)
    admin = make_member(company=company, role=Role.ADMINISTRATOR, username="admin_no")
    at_operator = operator_mode.add_company(name=company.name, bid=company.organisation_number)
    login(admin)
    page.goto("/settings/")
    page.get_by_test_id("nav-operator").click()
    expect(page.get_by_test_id("activation-explained")).to_contain_text(
        "cannot be switched on through the operator's API"
    )
    page.select_option("#id_environment", "testing")
    page.fill("#id_company_uuid", at_operator.uuid)
    page.fill("#id_api_key", at_operator.api_key)
    page.get_by_test_id("save-operator").click()
    expect(page.get_by_text("The operator connection was saved.")).to_be_visible()
    assert page.input_value("#id_api_key") == ""
    assert at_operator.api_key not in page.content()
    page.get_by_test_id("test-operator").click()
    expect(page.get_by_test_id("last-test")).to_have_text(
        "Connected to the operator as Fjordtech AS (923609016)."
    )
    expect(page.get_by_test_id("webhook-state")).to_contain_text("subscribed")
    expect(page.get_by_test_id("history")).to_contain_text("admin_no")
    assert OperatorConnection.objects.get(company=company).last_test_ok


def test_swedish_admin_gets_errors_in_swedish(page, login):
    company = make_company(country="SE", name="Svea Handel AB", organisation_number="5560169095")
    make_branch(company=company, branch_id="MAIN", name="Stockholm", is_main_office=True)
    admin = make_member(company=company, role=Role.ADMINISTRATOR, username="admin_se")
    login(admin)
    with page.expect_navigation():
        page.select_option("#language-select", "sv")
    page.goto("/settings/operator/")
    expect(page.get_by_test_id("activation-explained")).to_contain_text("B2CSE")
    page.fill("#id_company_uuid", "inte-ett-uuid")
    page.get_by_test_id("save-operator").click()
    expect(page.locator("#id_company_uuid")).to_have_class(INVALID)
    expect(page.get_by_test_id("operator-form")).to_contain_text("Ange företags-UUID")
    expect(page.get_by_test_id("operator-form")).to_contain_text("Ange användarens API-nyckel.")
    assert not OperatorConnection.objects.exists()
