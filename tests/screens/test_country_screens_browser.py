"""Each country in its own words, plain and translated, on the screens people use (nb and sv).

Browser tests on the demo data: the Norwegian administrator in Norwegian, the Swedish one in
Swedish, at a laptop's 1366 px unless a phone matters.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .helpers import screenshot, seed_demo_with_deliveries

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


def _login(page, live_server, username: str, language: str):
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.set_viewport_size(LAPTOP)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_the_swedish_administrator_in_swedish(page, live_server):
    """One walk on one seeding of the demo: Swedish concepts only, the agreement export, a
    credit note called a credit note, then the company name corrected but not emptied."""
    context = seed_demo_with_deliveries()
    _login(page, live_server, "se-admin", "sv")
    _swedish_concepts_only(page)
    _agreement_export_opens_in_swedish_excel(page)
    _a_credit_note_is_called_a_credit_note(page, context.companies["SE"])
    _company_name_can_be_corrected_but_not_emptied(page)


def test_the_norwegian_administrator_in_norwegian(page, live_server):
    """One walk on one seeding of the demo: the billing report and its export, then an invoice
    read in plain Norwegian and sent."""
    context = seed_demo_with_deliveries()
    _login(page, live_server, "no-admin", "nb")
    _billing_report_names_actions_and_exports_for_nordic_excel(page)
    _a_norwegian_invoice_reads_in_plain_norwegian(page, context.companies["NO"])


def _swedish_concepts_only(page):
    page.goto("/customers/")
    nav = page.get_by_test_id("top-bar")
    expect(nav).to_contain_text("Skicka till Maventa")
    expect(nav).not_to_contain_text("AutoInvoice")
    table = page.get_by_test_id("customer-table")
    expect(table).not_to_contain_text("e-faktura (Norge)")
    expect(table).to_contain_text("Skicka till Maventa")
    filters = page.get_by_test_id("customer-filters")
    expect(filters).not_to_contain_text("e-faktura (Norge)")
    options = page.locator("#id_delivery_method option").all_inner_texts()
    assert options == ["Alla", "Skicka till Maventa", "E-post", "Utskrift"]
    # A Swedish postcode reads "411 01"; the country by name.
    expect(table).to_contain_text(re.compile(r"\b\d{3} \d{2} "))
    expect(table).to_contain_text("Sverige")

    page.goto("/settings/ledger/")
    form = page.get_by_test_id("ledger-form")
    expect(form).not_to_contain_text("KID")
    expect(form).not_to_contain_text("konsumentväg")
    page.goto("/settings/")
    expect(page.get_by_test_id("settings-nav")).to_contain_text("Maventa-inställningar")
    expect(page.locator("#id_consumer_einvoice_service")).to_be_disabled()
    expect(page.locator("body")).not_to_contain_text("AutoInvoice-slutpunkt")

    page.goto("/agreements/")
    sources = page.locator("#id_source option").all_inner_texts()
    assert sources == ["Alla", "FMI-anslutning"]
    statuses = page.locator("#id_status option").all_inner_texts()
    assert statuses == ["Alla", "Aktiv", "Borttagen"]
    expect(page.locator("body")).not_to_contain_text("JTTA")
    expect(page.locator("body")).not_to_contain_text("SMS")

    # The invoice filter labels sit side by side without touching.
    page.goto("/invoices/")
    labels = page.locator("[data-testid=invoice-filters] label")
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    assert len(boxes) >= 8
    for i, first in enumerate(boxes):
        for second in boxes[i + 1 :]:
            assert not _boxes_overlap(first, second), (first, second)
    screenshot(page, "sv-invoice-filters-1366")


def _a_norwegian_invoice_reads_in_plain_norwegian(page, company):
    from agreements.models import ConsumerAgreement
    from invoices.demo import LINES
    from invoices.services import create_draft, release_invoice

    # A customer whose eFaktura agreement is not active yet: the warning icon shows.
    waiting = (
        ConsumerAgreement.objects.filter(branch__company=company, status="REQUEST_SENT")
        .select_related("customer", "branch")
        .first()
    )
    today = timezone.localdate()
    invoice = create_draft(
        company=company,
        branch=waiting.branch,
        customer=waiting.customer,
        issue_date=today,
        due_date=today + timedelta(days=14),
        lines=LINES["NO"][:1],
        acting_user=None,
    )
    release_invoice(invoice=invoice, released_by=None)
    page.goto(f"/invoices/{invoice.pk}/")

    # The warning icon sits beside the Invoice address tab label, on the same line.
    tab = page.get_by_test_id("tab-address")
    icon = page.get_by_test_id("agreement-warning")
    expect(icon).to_be_visible()
    tab_box, icon_box = tab.bounding_box(), icon.bounding_box()
    # (the tab's right padding is 1rem: the icon may sit in it, right after the label text)
    assert icon_box["x"] >= tab_box["x"] + tab_box["width"] - 16
    assert icon_box["x"] <= tab_box["x"] + tab_box["width"] + 24
    middle = icon_box["y"] + icon_box["height"] / 2
    assert tab_box["y"] <= middle <= tab_box["y"] + tab_box["height"]

    # The route preview is written as sentences.
    tab.click()
    page.locator("[data-testid=route-trace] summary").click()
    trace = page.get_by_test_id("route-trace")
    expect(trace).to_contain_text("Kunden har en aktiv eFaktura-avtale: nei")
    expect(trace).to_contain_text("(avtalestatus: Forespørsel sendt)")
    expect(trace).not_to_contain_text("agreement_status=")
    expect(page.get_by_test_id("invoice-address")).to_contain_text("Norge")

    # Send it: the message says what happened (queued), by the operator's name.
    page.get_by_test_id("send-to-autoinvoice").click()
    expect(page.locator("body")).to_contain_text(
        f"Faktura {invoice.number} står i kø for sending til AutoInvoice."
    )
    # History: one timeline with created, released, sent and delivery events.
    page.get_by_role("tab", name="Historikk").click()
    timeline = page.get_by_test_id("history-timeline")
    expect(timeline).to_contain_text("Opprettet")
    expect(timeline).to_contain_text("Frigitt")
    expect(timeline).to_contain_text("Sendt:")
    kinds = set(
        page.locator("[data-testid=history-entry]").evaluate_all(
            "els => els.map(e => e.dataset.kind)"
        )
    )
    assert {"invoice", "sending"} <= kinds
    screenshot(page, "nb-invoice-history-1366")


def _a_credit_note_is_called_a_credit_note(page, company):
    from invoices.models import Invoice

    credit = Invoice.objects.filter(
        company=company, kind="credit_note", status="open", deliveries__isnull=True
    ).first()
    page.goto(f"/invoices/{credit.pk}/")
    page.get_by_test_id("tab-address").click()
    page.get_by_test_id("send-to-autoinvoice").click()
    expect(page.locator("body")).to_contain_text(
        f"Kreditnota {credit.number} står i kö för att skickas till Maventa."
    )
    expect(page.locator("body")).not_to_contain_text(f"Faktura {credit.number} ")


def _billing_report_names_actions_and_exports_for_nordic_excel(page):
    page.goto("/routing/billing/")
    expect(page.locator("#id_branch option").first).to_have_text("Alle avdelinger")
    table = page.get_by_test_id("billing-table")
    expect(table).to_contain_text("E-post")
    expect(page.get_by_test_id("billing-code").first).to_be_visible()
    screenshot(page, "nb-billing-report-1366")
    with page.expect_download() as info:
        page.get_by_test_id("billing-csv").click()
    raw = Path(info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads æøå right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Selskap",
        "Måned",
        "Avdeling",
        "Faktureringshandling",
        "Faktureringskode",
        "Antall",
    ]
    assert all(re.fullmatch(r"\d{4}-\d{2}", row[1]) for row in rows[1:])
    assert any(row[3] == "E-post" and row[4] == "EMAIL" for row in rows[1:])


def _agreement_export_opens_in_swedish_excel(page):
    page.goto("/agreements/")
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    raw = Path(info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Kundnr", "Namn"]
    assert {row[4] for row in rows[1:]} <= {"Aktiv", "Borttagen"}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row[7]) for row in rows[1:])


def _company_name_can_be_corrected_but_not_emptied(page):
    page.goto("/settings/company/")
    page.fill("#id_name", "")
    page.get_by_test_id("save-company").click()
    expect(page.locator("#id_name")).to_have_class(re.compile("is-invalid"))
    page.fill("#id_name", "Skärgård Demo Aktiebolag")
    page.get_by_test_id("save-company").click()
    expect(page.locator("body")).to_contain_text("Företagsuppgifterna har sparats.")
    expect(page.locator("#company-select option:checked")).to_have_text("Skärgård Demo Aktiebolag")
