"""HTTP behaviour of the sending screens, the billing report and their tenant isolation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from routing.models import BulkSend, Delivery, DeliveryStatus

from .builders import make_open_invoice

pytestmark = pytest.mark.django_db


def test_send_button_sends_and_detail_shows_status_and_trace(
    client, company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    client.force_login(accountant_no)
    page = client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert b"Route preview" in page.content
    assert b'data-testid="send-to-autoinvoice"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("routing:send", args=[invoice.pk]))
    assert response.status_code == 302
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    page = client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert b"Why this channel" in page.content
    assert b'data-testid="send-to-autoinvoice"' not in page.content
    again = client.post(reverse("routing:send", args=[invoice.pk]), follow=True)
    assert b"already been sent" in again.content
    assert Delivery.objects.count() == 1


def test_support_reads_but_cannot_send_or_poll(client, company_no, support_no):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    client.force_login(support_no)
    page = client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert b'data-testid="route-trace"' in page.content
    assert b'data-testid="send-to-autoinvoice"' not in page.content
    assert client.post(reverse("routing:send", args=[invoice.pk])).status_code == 403
    assert client.post(reverse("routing:poll", args=[invoice.pk])).status_code == 403
    assert client.get(reverse("routing:billing")).status_code == 200
    assert client.get(reverse("routing:bulk")).status_code == 403


def test_foreign_invoice_is_404(client, company_no, company_se, accountant_no):
    foreign = make_open_invoice(company=company_se, email="x@example.se")
    client.force_login(accountant_no)
    assert client.post(reverse("routing:send", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("routing:poll", args=[foreign.pk])).status_code == 404


def test_bulk_filter_select_all_and_progress(
    client, company_no, company_se, accountant_no, django_capture_on_commit_callbacks
):
    invoices = [make_open_invoice(company=company_no, email="k@example.no") for _ in range(3)]
    foreign = make_open_invoice(company=company_se, email="s@example.se")
    credit = make_open_invoice(company=company_no, email="k@example.no", kind="credit_note")
    client.force_login(accountant_no)
    listing = client.get(reverse("routing:bulk"), {"kind": "invoice"})
    assert listing.status_code == 200
    assert listing.context["total"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("routing:bulk") + "?kind=invoice", {"scope": "all"})
    bulk = BulkSend.objects.get()
    assert response.url == reverse("routing:bulk_detail", args=[bulk.pk])
    assert set(bulk.deliveries.values_list("invoice_id", flat=True)) == {i.pk for i in invoices}
    status = client.get(reverse("routing:bulk_status", args=[bulk.pk])).json()
    assert status["finished"] is True
    assert status["done"] == 3
    detail = client.get(reverse("routing:bulk_detail", args=[bulk.pk]))
    assert detail.content.count(b'data-testid="bulk-row"') == 3
    assert not Delivery.objects.filter(invoice__in=[credit, foreign]).exists()
    # A foreign invoice id posted by hand is ignored, never sent.
    client.post(reverse("routing:bulk"), {"invoice": [foreign.pk]})
    assert not Delivery.objects.filter(invoice=foreign).exists()


def test_bulk_bad_input(client, company_no, accountant_no):
    client.force_login(accountant_no)
    response = client.get(
        reverse("routing:bulk"), {"date_from": "2026-03-10", "date_to": "2026-03-01"}
    )
    assert "The to date must be on or after the from date." in response.content.decode()
    nothing = client.post(reverse("routing:bulk"), {}, follow=True)
    assert b"Select at least one" in nothing.content
    assert not BulkSend.objects.exists()


def test_bulk_send_of_another_company_is_404(client, company_no, company_se, accountant_no):
    other = BulkSend.objects.create(company=company_se)
    client.force_login(accountant_no)
    assert client.get(reverse("routing:bulk_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("routing:bulk_status", args=[other.pk])).status_code == 404


def test_billing_report_screen_csv_and_isolation(
    client,
    company_no,
    company_se,
    accountant_no,
    accountant_se,
    django_capture_on_commit_callbacks,
):
    from routing import services

    with django_capture_on_commit_callbacks(execute=True):
        services.send_invoice(
            invoice=make_open_invoice(company=company_no, email="=cmd@example.no"),
            acting_user=accountant_no,
        )
        services.send_invoice(
            invoice=make_open_invoice(company=company_se, email="s@example.se"),
            acting_user=accountant_se,
        )
    company_no.name = "=HYPERLINK(1)"
    company_no.save()
    client.force_login(accountant_no)
    page = client.get(reverse("routing:billing"))
    assert [(r["billing_action"], r["count"]) for r in page.context["rows"]] == [("EMAIL", 1)]
    csv = client.get(reverse("routing:billing"), {"format": "csv"}).content.decode()
    assert csv.splitlines()[1].startswith("'=HYPERLINK(1)")
    assert "EMAIL,1" in csv
    assert len(csv.splitlines()) == 2
    bad = client.get(reverse("routing:billing"), {"month": "2026-13"})
    assert "Enter a month as YYYY-MM." in bad.content.decode()


def test_simulator_inbox_and_print_spool_are_scoped_to_the_issuer(
    client,
    company_no,
    company_se,
    accountant_no,
    accountant_se,
    django_capture_on_commit_callbacks,
):
    from .builders import activate, se_consumer_with

    activate(company_se, se=True)
    with django_capture_on_commit_callbacks(execute=True):
        services_send(
            make_open_invoice(company=company_se, national_id=se_consumer_with(kivra=True)),
            accountant_se,
        )
        services_send(
            make_open_invoice(
                company=company_no, address_line1="Storgata 9", postcode="0155", city="Oslo"
            ),
            accountant_no,
        )
    client.force_login(accountant_se)
    inbox = client.get(reverse("simulator_deliveries:index"))
    assert inbox.content.count(b'data-testid="sim-inbox-row"') == 1
    assert b"simulated-badge" in inbox.content
    assert b"Storgata 9" not in client.get(reverse("simulator_deliveries:print_spool")).content
    client.force_login(accountant_no)
    assert (
        b'data-testid="sim-inbox-row"'
        not in client.get(reverse("simulator_deliveries:index")).content
    )
    spool = client.get(reverse("simulator_deliveries:print_spool"))
    assert spool.content.count(b'data-testid="print-spool-row"') == 1


def services_send(invoice, user):
    from routing import services

    return services.send_invoice(invoice=invoice, acting_user=user)


def test_delivery_admin_is_tenant_scoped(client, company_no, company_se, accountant_no):
    from b2cportal.companies.models import Membership
    from routing.models import Delivery

    mine = make_open_invoice(company=company_no, email="k@example.no")
    theirs = make_open_invoice(company=company_se, email="s@example.se")
    for invoice in (mine, theirs):
        Delivery.objects.create(
            company=invoice.company,
            branch=invoice.branch,
            invoice=invoice,
            external_id=invoice.document_uuid,
        )
    accountant_no.is_staff = True
    accountant_no.save()
    from django.contrib.auth.models import Permission

    accountant_no.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    assert Membership.objects.filter(user=accountant_no).count() == 1
    client.force_login(accountant_no)
    page = client.get(reverse("admin:routing_delivery_changelist"))
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 1
    assert page.context["cl"].result_list[0].invoice == mine


def _count_queries(client, url, **params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_use_a_constant_number_of_queries(
    client, company_no, accountant_no, django_capture_on_commit_callbacks
):
    from routing import services

    client.force_login(accountant_no)
    for _ in range(2):
        make_open_invoice(company=company_no, email="k@example.no")
    few = _count_queries(client, reverse("routing:bulk"))
    for _ in range(8):
        make_open_invoice(company=company_no, email="k@example.no")
    assert _count_queries(client, reverse("routing:bulk")) == few
    with django_capture_on_commit_callbacks(execute=True):
        bulk = services.send_invoices(
            company=company_no,
            invoice_ids=list(company_no.invoices.values_list("pk", flat=True)),
            acting_user=accountant_no,
        )
    detail = _count_queries(client, reverse("routing:bulk_detail", args=[bulk.pk]))
    assert detail <= 12
    inbox = _count_queries(client, reverse("simulator_deliveries:index"))
    assert inbox <= 8
    report = _count_queries(client, reverse("routing:billing"))
    assert report <= 8
