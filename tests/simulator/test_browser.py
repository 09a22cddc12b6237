"""Browser: the simulator's fenced pages — a one-time bank link, and the operator's register."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from agreements.models import ConsumerAgreement
from b2cportal.network.adapter import get_network
from simulator.models import RegisterEntry
from tests.agreements.conftest import activate_norway, make_agreement
from tests.factories import make_customer, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_bank_link_accepts_once_then_says_it_was_used(page, login, admin_no, company_no):
    branch = company_no.branches.get()
    activate_norway(branch)
    customer = make_customer(company=company_no, number="10001", name="Kari Nordmann")
    make_agreement(customer=customer, branch=branch, status="REQUEST_SENT")
    url = get_network().agreement_acceptance_link(
        issuer_organisation_number=company_no.organisation_number,
        issuer_name=company_no.name,
        branch_reference=branch.branch_id,
        customer_reference=customer.number,
    )
    path = url[url.index("/simulator/") :]
    # Not logged in: the login page, not the bank.
    page.goto(path)
    expect(page.locator("input[name=username]")).to_be_visible()
    login(admin_no)
    page.goto(path)
    page.get_by_test_id("bank-accept").click()
    expect(page.get_by_test_id("bank-result")).to_contain_text("You accepted")
    # Bad input: the same link again.
    page.goto(path)
    expect(page.get_by_test_id("bank-link-problem")).to_contain_text("already been used")
    assert ConsumerAgreement.objects.get().status == "ACTIVE"


def test_operator_edits_the_register_and_a_bad_number_is_named(page, login):
    operator = make_user(username="network-operator")
    operator.user_permissions.add(
        Permission.objects.get(content_type__app_label="simulator", codename="operate_network")
    )
    login(operator)
    page.goto("/simulator/activations/")
    page.select_option("#id_country", "SE")
    page.fill("#id_organisation_number", "12")
    page.fill("#id_name", "Svea Handel AB")
    page.get_by_role("button", name="Save register entry").click()
    expect(page.locator(".alert-danger")).to_contain_text("Enter 9 (Norway) or 10 (Sweden)")
    page.select_option("#id_country", "SE")
    page.fill("#id_organisation_number", "5560169095")
    page.fill("#id_name", "Svea Handel AB")
    page.get_by_role("button", name="Save register entry").click()
    expect(page.get_by_test_id("register-entries")).to_contain_text("Svea Handel AB")
    assert RegisterEntry.objects.get().organisation_number == "5560169095"
