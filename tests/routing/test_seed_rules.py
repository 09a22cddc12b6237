"""Issue 12, items 3-6: one table test per seed sentence about routing (quoted in each)."""

from __future__ import annotations

import pytest

from agreements.models import ConsumerAgreement
from b2cportal.network.adapter import get_network
from routing.decision import Channel, RouteInputs, decide, rule_label
from routing.selectors import load_route_inputs
from routing.services import decide_route
from simulator.models import DigitalMailboxAccount, FmiRegistration
from tests.agreements.conftest import post_event

from .builders import TEST_FUI, activate, make_open_invoice

pytestmark = pytest.mark.django_db

SOLE_TRADER_ORGNR = "8112189876"  # Skatteverket's example personnummer 811218-9876
SOLE_TRADER_SSN = "198112189876"
COMPANY_ORGNR = "5565475489"  # a limited company (month digits 54): never an SSN

SE_BASE = {
    "country": "SE",
    "b2cse_active": True,
    "days_until_due": 10,
    "email": "kontor@example.se",
    "has_postal_address": True,
}


def _trace(decision) -> list[tuple[str, str]]:
    return [(step.rule, step.outcome) for step in decision.trace]


# --- Item 3: sole traders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "found", "channel"),
    [
        ({"customer_kind": "business", "sole_trader": True}, {"fmi_active": True}, "bank_se"),
        ({"customer_kind": "business", "sole_trader": True}, {"billo_account": True}, "billo"),
        ({"customer_kind": "business", "sole_trader": True}, {"kivra_account": True}, "kivra"),
        ({"customer_kind": "business", "sole_trader": False}, {"fmi_active": True}, "email"),
        ({"customer_kind": "consumer"}, {"fmi_active": True}, "bank_se"),
    ],
)
def test_sole_traders_reach_the_swedish_b2c_channels(customer, found, channel):
    """Item 3, seed 004: "In Sweden also companies can receives invoices through this channel as
    a company can have an SSN (social security number) as their organization number", and an
    FMI is "SSN or organisation number (12 digits)"."""
    decision = decide(RouteInputs(**SE_BASE, has_national_id=True, **customer, **found))
    assert decision.channel == channel
    step = next(s for s in decision.trace if s.rule == "se_consumer")
    assert step.inputs["sole_trader"] is customer.get("sole_trader", False)
    assert "sole trader" in rule_label("se_consumer")


@pytest.mark.parametrize(
    ("orgnr", "registered", "channel"),
    [
        (SOLE_TRADER_ORGNR, "fmi", Channel.BANK_SE),
        (SOLE_TRADER_ORGNR, "billo", Channel.BILLO),
        (SOLE_TRADER_ORGNR, "kivra", Channel.KIVRA),
        (SOLE_TRADER_ORGNR, None, Channel.EMAIL),
        (COMPANY_ORGNR, "fmi", Channel.EMAIL),
    ],
)
def test_a_sole_trader_is_looked_up_by_the_personnummer_in_its_organisation_number(
    company_se, orgnr, registered, channel
):
    """Item 3: "A business customer whose organisation number is a personnummer must reach the
    bank / Billo / Kivra like a consumer (FMI lookup by that number ...)"."""
    activate(company_se, se=True)
    ssn = SOLE_TRADER_SSN if orgnr == SOLE_TRADER_ORGNR else "196408233234"
    if registered == "fmi":
        FmiRegistration.objects.create(ssn=ssn, bank_id="NB", issuer_fui=TEST_FUI)
    elif registered:
        DigitalMailboxAccount.objects.create(ssn=ssn, provider=registered)
    invoice = make_open_invoice(company=company_se)
    customer = invoice.customer
    customer.kind, customer.organisation_number = "business", orgnr
    customer.email = "firma@example.se"
    customer.save()
    inputs = load_route_inputs(invoice)
    assert inputs.sole_trader is (orgnr == SOLE_TRADER_ORGNR)
    assert inputs.endpoint_id == orgnr  # the directories still see the organisation number
    assert decide_route(invoice).channel == channel


def test_inbound_fmi_events_are_matched_by_a_sole_traders_organisation_number(client, company_se):
    """Item 3: "... inbound FMI events matched by it — today they get 404"."""
    from b2cportal.companies.models import SwedenB2CActivation
    from tests.factories import make_customer

    SwedenB2CActivation.objects.create(
        branch=company_se.branches.get(is_main_office=True), status="active", fui=TEST_FUI
    )
    firm = make_customer(
        company=company_se, kind="business", organisation_number=SOLE_TRADER_ORGNR, name="Firma"
    )
    fmi = f"{SOLE_TRADER_SSN}.NB.SE"
    response = post_event(
        client, {"event_id": "st-1", "type": "fmi_created", "fmi": fmi, "issuer_fui": TEST_FUI}
    )
    assert response.status_code == 200, response.content
    agreement = ConsumerAgreement.objects.get()
    assert (agreement.customer, agreement.status, agreement.reference) == (firm, "ACTIVE", fmi)
    assert agreement.events.last().detail["matched_on"] == ["organisation_number"]


# --- Item 4: InExchange customers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("inexchange_customer", "prevent", "channel"),
    [
        (True, False, Channel.OPERATOR_SE),  # forced through InExchange
        (True, True, Channel.BANK_SE),
        (False, False, Channel.BANK_SE),  # not an InExchange customer: never forced
        (False, True, Channel.BANK_SE),
    ],
)
def test_only_inexchange_customers_are_forced_through_inexchange(
    inexchange_customer, prevent, channel
):
    """Item 4, seed 004: "In case the sender is also a customer of InExchange, prevent routing
    all sent invoices through InExchange setting needs to be turned on … If the setting is not
    turned on all sent invoice will be forced through InExchange connection." """
    decision = decide(
        RouteInputs(
            **SE_BASE,
            customer_kind="consumer",
            has_national_id=True,
            fmi_active=True,
            is_inexchange_customer=inexchange_customer,
            prevent_routing_through_inexchange=prevent,
        )
    )
    assert decision.channel == channel
    step = decision.trace[1]
    assert step.rule == "inexchange_forced"
    assert step.inputs == {
        "is_inexchange_customer": inexchange_customer,
        "prevent_routing_through_inexchange": prevent,
    }


def test_the_sender_setting_is_read_from_the_autoinvoice_settings(company_se):
    """Item 4: the fact lives in the sender's settings and routing reads it."""
    activate(
        company_se, se=True, is_inexchange_customer=True, prevent_routing_through_inexchange=False
    )
    invoice = make_open_invoice(company=company_se, national_id=SOLE_TRADER_SSN)
    assert decide_route(invoice).channel == Channel.OPERATOR_SE
    activate(company_se, is_inexchange_customer=False)
    assert decide_route(invoice).channel != Channel.OPERATOR_SE


def test_the_settings_screen_explains_the_inexchange_rule_in_the_seeds_terms(
    client, company_se, admin_se
):
    """Item 4: "the settings screen explains it in the seed's terms"."""
    client.force_login(admin_se)
    page = client.get("/settings/").content.decode()
    assert "customer of InExchange" in page
    assert "forced through the InExchange connection" in page
    assert "without even trying the B2C route" in page
    response = client.post(
        "/settings/",
        {
            "is_inexchange_customer": "on",
            "consumer_einvoice_service": "none",
            "endpoint": "production",
            "invoice_import_scenario": "none",
            "imported_invoice_vat_setting": "from_document",
            "invoice_inbox_vat_setting": "from_document",
            "fallback_order": "email_then_print",
        },
    )
    assert response.status_code in (200, 302)
    settings_row = company_se.branches.get(is_main_office=True).autoinvoice_settings
    settings_row.refresh_from_db()
    assert settings_row.is_inexchange_customer is True


# --- Item 5: the 3-day rule's scope ----------------------------------------------------------


@pytest.mark.parametrize(
    ("found", "days", "channel"),
    [
        ({"fmi_active": True}, 3, Channel.BANK_SE),
        ({"fmi_active": True}, 2, Channel.EMAIL),
        ({"billo_account": True}, 3, Channel.BILLO),
        ({"billo_account": True}, 2, Channel.EMAIL),  # Billo too (README: the rule's scope)
        ({"kivra_account": True}, 3, Channel.KIVRA),
        ({"kivra_account": True}, 2, Channel.EMAIL),
    ],
)
def test_the_three_day_rule_applies_to_bank_billo_and_kivra(found, days, channel):
    """Item 5, seed 004, under "Requirements for e-invoices sent to netbank and Kivra": "The
    invoice must be sent at least three days before the due date specified on the invoice." """
    inputs = {**SE_BASE, "days_until_due": days}
    decision = decide(
        RouteInputs(**inputs, customer_kind="consumer", has_national_id=True, **found)
    )
    assert decision.channel == channel
    step = next(s for s in decision.trace if s.rule == "se_due_date")
    assert step.outcome == ("passed" if days >= 3 else "failed")
    assert step.inputs["applies_to"] == "bank, billo, kivra"
    assert "3-day rule" in rule_label("se_due_date")


# --- Item 6: FMI lookups are for this issuer's FUI -------------------------------------------


@pytest.mark.parametrize(
    ("registered_fui", "asked_fui", "found"),
    [
        (TEST_FUI, TEST_FUI, True),
        ("", TEST_FUI, False),  # a registration without issuer matches nobody
        ("009999999999.00002222222.FSPA.SE", TEST_FUI, False),
        (TEST_FUI, "", False),  # a sender without FUI has no FMI
        ("", "", False),
    ],
)
def test_fmi_lookups_are_always_for_this_issuers_fui(registered_fui, asked_fui, found):
    """Item 6: "FMI lookups are always for this issuer's FUI; today a blank FUI matches any
    issuer." """
    FmiRegistration.objects.create(ssn=SOLE_TRADER_SSN, bank_id="NB", issuer_fui=registered_fui)
    assert (SOLE_TRADER_SSN in get_network().lookup_fmi([SOLE_TRADER_SSN], asked_fui)) is found


def test_a_sender_without_fui_never_routes_to_the_bank(company_se):
    """Item 6: the route reads the branch's FUI; without one the invoice goes on to Billo/Kivra."""
    from b2cportal.companies.models import SwedenB2CActivation

    activate(company_se, se=True)
    SwedenB2CActivation.objects.filter(branch__company=company_se).update(fui="")
    FmiRegistration.objects.create(ssn=SOLE_TRADER_SSN, bank_id="NB", issuer_fui="")
    DigitalMailboxAccount.objects.create(ssn=SOLE_TRADER_SSN, provider="kivra")
    invoice = make_open_invoice(company=company_se, national_id=SOLE_TRADER_SSN)
    assert decide_route(invoice).channel == Channel.KIVRA


def test_an_inbound_fmi_event_with_a_blank_fui_names_no_issuer(client, company_se):
    """Item 6: a blank issuer FUI in an event does not match a branch whose service has none."""
    from b2cportal.companies.models import SwedenB2CActivation
    from tests.factories import make_customer

    SwedenB2CActivation.objects.create(
        branch=company_se.branches.get(is_main_office=True), status="pending", fui=""
    )
    make_customer(company=company_se, national_id=SOLE_TRADER_SSN)
    response = post_event(
        client,
        {
            "event_id": "b-1",
            "type": "fmi_created",
            "fmi": f"{SOLE_TRADER_SSN}.NB.SE",
            "issuer_fui": "",
        },
    )
    assert response.status_code in (400, 404)
    assert not ConsumerAgreement.objects.exists()
