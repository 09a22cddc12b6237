"""Browser: send one invoice and read its status and trace; bulk send and watch it finish."""

from __future__ import annotations

import pytest

from .builders import make_open_invoice

pytestmark = pytest.mark.browser


def test_send_one_invoice_shows_status_and_trace(page, login, company_no, accountant_no):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    login(accountant_no)
    page.goto(f"/invoices/{invoice.pk}/")
    page.click("[data-testid=tab-address]")
    assert page.inner_text("[data-testid=sending-channel]") == "Email"
    page.click("[data-testid=route-trace] summary")
    assert "Fallback: email" in page.inner_text("[data-testid=route-trace]")
    page.click("[data-testid=send-to-autoinvoice]")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("[data-testid=delivery-status]") == "Sent"
    page.click("[data-testid=tab-address]")
    assert "Sent" in page.inner_text("[data-testid=autoinvoice-status]")
    assert "Chosen: Email" in page.inner_text("[data-testid=route-trace]")
    assert page.locator("[data-testid=send-to-autoinvoice]").count() == 0
    page.click("[data-testid=poll-status]")
    assert "Delivered" in page.inner_text(".alert-info")


def test_bulk_send_progress_finishes_with_summary(page, login, company_no, accountant_no):
    for _ in range(12):
        make_open_invoice(company=company_no, email="kari@example.no")
    make_open_invoice(company=company_no)  # no email, no address: fails with a reason
    login(accountant_no)
    page.goto("/routing/send/")
    assert "13 open documents" in page.inner_text("[data-testid=bulk-count]")
    page.check("[data-testid=select-all]")
    page.click("[data-testid=bulk-send]")
    page.wait_for_selector("[data-testid=bulk-finished]")
    assert page.get_attribute("[data-testid=bulk-progress]", "aria-valuenow") == "100"
    rows = page.locator("[data-testid=bulk-row]")
    assert rows.count() == 13
    summary = page.inner_text("[data-testid=bulk-summary]")
    assert summary.count("Email") == 12
    assert "No channel" in summary


def test_bulk_send_bad_date_range_is_explained(page, login, company_no, accountant_no):
    make_open_invoice(company=company_no, email="kari@example.no")
    login(accountant_no)
    page.goto("/routing/send/")
    page.fill("input[name=date_from]", "2026-03-10")
    page.fill("input[name=date_to]", "2026-03-01")
    page.click("input[name=filter]")
    assert "The to date must be on or after the from date." in page.inner_text("body")
    assert page.locator("[data-testid=bulk-send]").count() == 0


def test_billing_report_and_bad_month(page, login, company_no, accountant_no):
    from routing import services

    services.send_invoice(
        invoice=make_open_invoice(company=company_no, email="kari@example.no"),
        acting_user=accountant_no,
    )
    login(accountant_no)
    page.goto("/routing/billing/")
    assert "EMAIL" in page.inner_text("[data-testid=billing-table]")
    assert page.inner_text("[data-testid=billing-total]") == "1"
    with page.expect_download() as download:
        page.click("[data-testid=billing-csv]")
    assert download.value.suggested_filename.startswith("billing-")
    page.goto("/routing/billing/?month=2026-13")
    assert "Enter a month as YYYY-MM." in page.inner_text("body")


def test_simulator_inbox_shows_what_the_consumer_got(page, login, company_se, accountant_se):
    from routing import services

    from .builders import activate, se_consumer_with

    activate(company_se, se=True)
    ssn = se_consumer_with(billo=True)
    invoice = make_open_invoice(company=company_se, national_id=ssn)
    services.send_invoice(invoice=invoice, acting_user=accountant_se)
    login(accountant_se)
    page.goto("/simulator/deliveries/")
    assert page.locator(".simulated-badge").count() >= 1
    row = page.inner_text("[data-testid=sim-inbox-row]")
    assert "Billo" in row
    assert invoice.number in row
    page.fill("input[name=recipient]", "000000000000")  # nobody has this SSN
    page.click("button[type=submit]:has-text('Show')")
    assert page.locator("[data-testid=sim-inbox-row]").count() == 0
    assert "Nothing received yet." in page.inner_text("[data-testid=sim-inbox]")


def test_actions_menu_sends_to_autoinvoice(page, login, company_se, accountant_se):
    from .builders import activate, se_consumer_with

    activate(company_se, se=True)
    invoice = make_open_invoice(company=company_se, national_id=se_consumer_with(kivra=True))
    login(accountant_se)
    page.goto(f"/invoices/{invoice.pk}/")
    page.click("[data-testid=actions-menu]")
    page.click("[data-testid=action-send-to-autoinvoice]")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("[data-testid=delivery-status]") == "Sent"
    page.click("[data-testid=tab-address]")
    assert page.inner_text("[data-testid=sending-channel]") == "Kivra"
    assert "Sweden: Kivra account" in page.inner_text("[data-testid=route-trace]")


def test_print_spool_lists_the_printed_invoice_and_nothing_of_others(
    page, login, company_no, company_se, accountant_no, accountant_se
):
    from routing import services

    invoice = make_open_invoice(
        company=company_no, address_line1="Storgata 9", postcode="0155", city="Oslo"
    )
    services.send_invoice(invoice=invoice, acting_user=accountant_no)
    login(accountant_no)
    page.goto("/simulator/deliveries/")
    page.click("[data-testid=print-spool-link]")
    assert page.locator(".simulated-badge").count() >= 1
    row = page.inner_text("[data-testid=print-spool-row]")
    assert invoice.number in row
    assert "Storgata 9, 0155 Oslo" in row
    # The printed PDF opens from the spool list.
    pdf = page.request.get(page.get_attribute("[data-testid=print-spool-pdf]", "href"))
    assert pdf.status == 200
    assert pdf.body().startswith(b"%PDF")
    # Bad input: another company looking at the spool sees none of it.
    page.context.clear_cookies()
    login(accountant_se)
    page.goto("/simulator/deliveries/print-spool/")
    assert page.locator("[data-testid=print-spool-row]").count() == 0
    assert "The print spool is empty." in page.inner_text("[data-testid=print-spool]")
    assert "Storgata 9" not in page.content()


def test_simulator_document_page_shows_the_document_and_404_for_a_bad_id(
    page, login, company_no, accountant_no
):
    from routing import services
    from simulator.models import InboxDocument
    from tests.factories import make_customer

    from .builders import peppol

    customer = make_customer(
        company=company_no, kind="business", organisation_number="974760673", email="ap@firma.no"
    )
    peppol("974760673")
    business = make_open_invoice(company=company_no, customer=customer)
    services.send_invoice(invoice=business, acting_user=accountant_no)
    item = InboxDocument.objects.get()
    assert item.kind == "peppol"
    login(accountant_no)
    page.goto("/simulator/deliveries/")
    page.click(f"[data-testid=sim-inbox-row] >> text={business.number}")
    page.wait_for_url(f"**/simulator/deliveries/{item.pk}/document/")
    assert business.number in page.content()
    assert "Invoice" in page.content()
    # Bad input: an id that is not ours (or does not exist) is a 404, not someone's document.
    response = page.goto(f"/simulator/deliveries/{item.pk + 1000}/document/")
    assert response.status == 404


def test_poll_invoice_status_reconciles_an_unknown_delivery(
    page, login, company_se, accountant_se, monkeypatch
):
    from routing import services
    from routing.models import Delivery, DeliveryStatus

    from .builders import activate, se_consumer_with

    activate(company_se, se=True)
    invoice = make_open_invoice(company=company_se, national_id=se_consumer_with(kivra=True))
    never_sent = make_open_invoice(company=company_se, email="sven@example.se")
    monkeypatch.setattr("django.conf.settings.SIMULATED_NETWORK_FAULT", "timeout_after_accept")
    services.send_invoice(invoice=invoice, acting_user=accountant_se)
    monkeypatch.setattr("django.conf.settings.SIMULATED_NETWORK_FAULT", "")
    assert Delivery.objects.get(invoice=invoice).status == DeliveryStatus.UNKNOWN
    login(accountant_se)
    page.goto(f"/invoices/{invoice.pk}/")
    assert page.inner_text("[data-testid=delivery-status]") == "Pending"
    page.click("[data-testid=actions-menu]")
    page.click("[data-testid=action-poll-status]")
    assert "Status: Delivered" in page.inner_text(".alert-info")
    assert page.inner_text("[data-testid=delivery-status]") == "Sent"
    assert Delivery.objects.get(invoice=invoice).status == DeliveryStatus.DELIVERED
    # Bad input: an invoice that was never sent offers nothing to poll (no dead button), and
    # its poll page says it was not sent.
    page.goto(f"/invoices/{never_sent.pk}/")
    page.click("[data-testid=actions-menu]")
    assert page.locator("[data-testid=action-poll-status]").count() == 0
    page.goto(f"/routing/invoices/{never_sent.pk}/poll/")
    assert page.inner_text("[data-testid=autoinvoice-status]") == "Not sent"
    assert page.locator("[data-testid=poll-status]").count() == 0
    assert not Delivery.objects.filter(invoice=never_sent).exists()


def test_failed_bank_delivery_moves_on_and_a_refused_one_shows_the_reason(
    page, login, company_se, accountant_se
):
    from simulator.models import DeliveryFault, FmiRegistration
    from tests.factories import make_customer

    from .builders import activate, peppol, se_consumer_with

    activate(company_se, se=True)
    ssn = se_consumer_with(fmi=True, kivra=True)
    FmiRegistration.objects.filter(ssn=ssn).update(delivery_fault=DeliveryFault.REJECTED)
    invoice = make_open_invoice(company=company_se, national_id=ssn)
    login(accountant_se)
    page.goto(f"/invoices/{invoice.pk}/")
    page.click("[data-testid=tab-address]")
    assert "online bank" in page.inner_text("[data-testid=sending-channel]")
    page.click("[data-testid=send-to-autoinvoice]")
    page.wait_for_selector(".alert-success")
    assert "queued for sending" in page.inner_text(".alert-success")
    page.click("[data-testid=tab-address]")
    assert page.inner_text("[data-testid=sending-channel]") == "Kivra"
    trace = page.inner_text("[data-testid=route-trace]")
    assert "Delivery failed on the chosen channel" in trace
    assert "Chosen: Kivra" in trace

    # A Peppol receiver that refuses: no fallback, the reason is shown, and it can be resent.
    peppol("5560169095")
    from simulator.models import Participant

    Participant.objects.update(delivery_fault=DeliveryFault.UNREACHABLE)
    business = make_customer(company=company_se, kind="business", organisation_number="5560169095")
    refused = make_open_invoice(company=company_se, customer=business)
    page.goto(f"/invoices/{refused.pk}/")
    page.click("[data-testid=tab-address]")
    page.click("[data-testid=send-to-autoinvoice]")
    page.wait_for_selector(".alert-success")
    page.click("[data-testid=tab-address]")
    assert "The network refused the delivery." in page.inner_text("[data-testid=delivery-error]")
    assert page.locator("[data-testid=send-to-autoinvoice]").count() == 1


def test_reroute_held_invoice_by_hand_refused_when_stale(page, login, company_no, accountant_no):
    from agreements.models import AgreementNetwork, AgreementStatus, ConsumerAgreement
    from routing import services
    from routing.models import Delivery, DeliveryStatus

    from .builders import NO_FNRS, activate

    activate(company_no, no=True, route_anyway=True)
    invoice = make_open_invoice(
        company=company_no, einvoice_norway=True, national_id=NO_FNRS[0], email="kari@example.no"
    )
    ConsumerAgreement.objects.create(
        customer=invoice.customer,
        branch=invoice.branch,
        network=AgreementNetwork.NO_EFAKTURA,
        status=AgreementStatus.REQUEST_SENT,
    )
    services.send_invoice(invoice=invoice, acting_user=accountant_no)
    assert Delivery.objects.get(invoice=invoice).status == DeliveryStatus.HELD
    login(accountant_no)
    page.goto(f"/invoices/{invoice.pk}/")
    page.click("[data-testid=tab-address]")
    # The delivery moves on while the page is open: the click is refused, nothing changes.
    Delivery.objects.filter(invoice=invoice).update(status=DeliveryStatus.FAILED)
    page.click("[data-testid=reroute-email]")
    assert "The delivery changed meanwhile (now: Failed)" in page.inner_text(".alert-danger")
    assert Delivery.objects.get(invoice=invoice).status == DeliveryStatus.FAILED
    page.click("[data-testid=tab-address]")
    page.click("[data-testid=reroute-email]")
    assert "goes by email to kari@example.no" in page.inner_text(".alert-success")
    page.click("[data-testid=tab-address]")
    assert page.inner_text("[data-testid=sending-channel]") == "Email"
    assert page.locator("[data-testid=reroute-email]").count() == 0
    page.click("button[data-bs-target='#tab-history']")
    assert "Re-routed by hand: by email" in page.inner_text("#tab-history")
