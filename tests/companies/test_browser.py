"""Logging in, switching company and branch, and the language switcher in a real browser."""

import pytest

from b2cportal.companies.models import Membership, Role
from tests.factories import make_branch, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_wrong_password_shows_an_error(page, accountant_no):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "accountant_no")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "/accounts/login/" in page.url
    assert "enter a correct username and password" in page.content()


def test_switch_company_and_branch(page, login, company_no, company_se):
    make_branch(company=company_no, branch_id="BGO", name="Bergen", is_main_office=False)
    user = make_user(username="both")
    Membership.objects.create(user=user, company=company_no, role=Role.ACCOUNTANT)
    Membership.objects.create(user=user, company=company_se, role=Role.SUPPORT)
    login(user)
    assert page.locator("h1").inner_text() == "Fjordtech AS"

    with page.expect_navigation():
        page.select_option("#company-select", label="Svea Handel AB")
    assert page.locator("h1").inner_text() == "Svea Handel AB"
    assert "Support" in page.locator("[data-testid=current-user]").inner_text()

    with page.expect_navigation():
        page.select_option("#company-select", label="Fjordtech AS")
    with page.expect_navigation():
        page.select_option("#branch-select", label="BGO Bergen")
    assert "Current branch: BGO Bergen" in page.content()
    assert "Branch BGO Bergen" in page.locator("main").inner_text()


def test_language_switch_shows_norwegian_then_swedish(page, login, accountant_no):
    login(accountant_no)
    assert page.locator("text=Log out").is_visible()
    with page.expect_navigation():
        page.select_option("#language-select", "nb")
    assert page.locator("button:has-text('Logg ut')").is_visible()
    page.goto("/customers/")
    assert page.locator("h1").inner_text() == "Kunder"
    assert page.locator("th", has_text="Kundenr.").count() == 1
    with page.expect_navigation():
        page.select_option("#language-select", "sv")
    assert page.locator("button:has-text('Logga ut')").is_visible()
    assert page.locator("th", has_text="Kundnr").count() == 1
