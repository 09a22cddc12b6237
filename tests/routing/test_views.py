"""HTTP behaviour of the sending screens, the billing report and their tenant isolation."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from b2cportal.audit.models import AuditAction, AuditEntry, Source
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
    # One audit row for the whole bulk (with its counts), none per invoice.
    entry = AuditEntry.objects.get(action__startswith="sending.")
    assert (entry.action, entry.object_id, entry.company_id) == (
        AuditAction.BULK_SEND_STARTED,
        bulk.pk,
        company_no.pk,
    )
    assert (entry.actor_user, entry.source) == (accountant_no, Source.SCREEN)
    assert entry.data == {"asked": 3, "queued": 3, "skipped": 0}
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
    response = client.get(reverse("routing:billing"), {"format": "csv"})
    csv = b"".join(response.streaming_content).decode()
    assert csv.splitlines()[1].startswith("'=HYPERLINK(1)")
    # The billing action by name, with its code beside it for the integrators.
    assert csv.splitlines()[1].endswith(",Email,EMAIL,1")
    assert len(csv.splitlines()) == 2
    # Norwegian Excel: byte-order mark, semicolons, names in Norwegian.
    response = client.get(reverse("routing:billing"), {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="nb")
    nb_csv = b"".join(response.streaming_content).decode("utf-8")
    assert nb_csv.startswith("\ufeff")
    assert nb_csv.splitlines()[1].endswith(";E-post;EMAIL;1")
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


def test_delivery_admin_is_tenant_scoped(client, company_no, company_se, support_no):
    # Support staff view the admin read-only (accountants have none).
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
    support_no.is_staff = True
    support_no.save()
    from django.contrib.auth.models import Permission

    support_no.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    assert Membership.objects.filter(user=support_no).count() == 1
    client.force_login(support_no)
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


def _inbox_rows(company, n):
    import uuid

    from simulator.models import InboxDocument

    InboxDocument.objects.bulk_create(
        InboxDocument(
            document_uuid=uuid.uuid4(),
            kind="peppol",
            recipient=f"99887766{k}",
            recipient_name=f"Receiver {k}",
            issuer_identifier=company.organisation_number,
            document_number=f"D{k}",
            content_type="application/xml",
            content=b"<Invoice/>",
        )
        for k in range(n)
    )


def _bulk_of(company, user, n, capture):
    """A bulk send of n delivered invoices, half by email and half by print (spool lines)."""
    from routing import services

    invoices = [
        make_open_invoice(company=company, email="k@example.no")
        if k % 2
        else make_open_invoice(
            company=company, address_line1="Gata 1", postcode="0150", city="Oslo"
        )
        for k in range(n)
    ]
    with capture(execute=True):
        bulk = services.send_invoices(
            company=company, invoice_ids=[i.pk for i in invoices], acting_user=user
        )
    assert bulk.deliveries.filter(status="delivered").count() == n
    return bulk


def test_list_pages_cost_the_same_queries_for_few_and_many_rows(
    client, company_no, accountant_no, django_capture_on_commit_callbacks
):
    client.force_login(accountant_no)
    for _ in range(2):
        make_open_invoice(company=company_no, email="k@example.no")
    few_list = _count_queries(client, reverse("routing:bulk"))
    for _ in range(8):
        make_open_invoice(company=company_no, email="k@example.no")
    assert _count_queries(client, reverse("routing:bulk")) == few_list
    company_no.invoices.update(status="draft")

    small = _bulk_of(company_no, accountant_no, 2, django_capture_on_commit_callbacks)
    _inbox_rows(company_no, 2)
    pages = {
        "bulk_detail": lambda bulk: reverse("routing:bulk_detail", args=[bulk.pk]),
        "inbox": lambda bulk: reverse("simulator_deliveries:index"),
        "print_spool": lambda bulk: reverse("simulator_deliveries:print_spool"),
        "billing": lambda bulk: reverse("routing:billing"),
    }
    few = {name: _count_queries(client, url(small)) for name, url in pages.items()}
    few_rows = {
        "inbox": client.get(pages["inbox"](small)).content.count(b'data-testid="sim-inbox-row"'),
        "spool": client.get(pages["print_spool"](small)).content.count(
            b'data-testid="print-spool-row"'
        ),
    }
    large = _bulk_of(company_no, accountant_no, 12, django_capture_on_commit_callbacks)
    _inbox_rows(company_no, 12)
    many = {name: _count_queries(client, url(large)) for name, url in pages.items()}
    assert many == few
    # The pages really listed more rows the second time (the comparison is not vacuous).
    assert few_rows == {"inbox": 2, "spool": 1}
    assert client.get(pages["inbox"](large)).content.count(b'data-testid="sim-inbox-row"') == 14
    spool = client.get(pages["print_spool"](large)).content
    assert spool.count(b'data-testid="print-spool-row"') == 7
    detail = client.get(pages["bulk_detail"](large)).content
    assert detail.count(b'data-testid="bulk-row"') == 12


def test_bulk_list_never_shows_another_companys_invoices(
    client, company_no, company_se, accountant_no
):
    from tests.factories import make_customer

    mine = make_open_invoice(company=company_no, email="k@example.no")
    stranger = make_customer(company=company_se, name="Främmande Kund AB")
    theirs = make_open_invoice(company=company_se, customer=stranger)
    client.force_login(accountant_no)
    listing = client.get(reverse("routing:bulk"))
    assert [i.pk for i in listing.context["page"].object_list] == [mine.pk]
    assert b"Fr\xc3\xa4mmande" not in listing.content
    assert theirs.number.encode() not in listing.content
    # Filtering by the other company's customer finds nothing either.
    search = client.get(reverse("routing:bulk"), {"customer": stranger.number})
    assert search.context["total"] == 0
    search = client.get(reverse("routing:bulk"), {"customer": "Främmande"})
    assert search.context["total"] == 0


def test_simulator_document_page_is_scoped_to_the_issuer(
    client, company_no, company_se, accountant_no, accountant_se
):
    from simulator.models import InboxDocument

    _inbox_rows(company_se, 1)
    theirs = InboxDocument.objects.get()
    client.force_login(accountant_no)
    url = reverse("simulator_deliveries:document", args=[theirs.pk])
    assert client.get(url).status_code == 404
    client.force_login(accountant_se)
    own = client.get(url)
    assert own.status_code == 200
    assert own.content == b"<Invoice/>"


def test_print_spool_entries_filter_by_issuer_and_limit(tmp_path):
    from simulator.adapter.delivery import print_spool_entries

    for day, lines in (("2026-03-01", 3), ("2026-03-02", 2)):
        folder = tmp_path / day
        folder.mkdir()
        with open(folder / "manifest.csv", "w", encoding="utf-8") as handle:
            for k in range(lines):
                handle.write(f"{day}-{k}.pdf,111,{k},Kari,Gata 1,0150,Oslo,NO\n")
                handle.write(f"x{k}.pdf,222,{k},Sven,Gatan 2,11122,Stockholm,SE\n")
            handle.write("broken,111\n")
    entries = print_spool_entries(issuer="111", root=tmp_path)
    assert [e["day"] for e in entries] == ["2026-03-02"] * 2 + ["2026-03-01"] * 3
    assert {e["name"] for e in entries} == {"Kari"}
    assert len(print_spool_entries(issuer="111", root=tmp_path, limit=4)) == 4
    assert print_spool_entries(issuer="", root=tmp_path) == []
    assert print_spool_entries(issuer="111", root=tmp_path / "missing") == []


def test_delivery_history_is_worded_in_the_readers_language(
    client, company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    client.force_login(accountant_no)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("routing:send", args=[invoice.pk]))
    page = client.get(
        reverse("invoices:detail", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="nb"
    ).content.decode()
    events = re.findall(r'data-testid="delivery-event">([^<]*)<', page)
    assert any("→ I kø · Sendt fra fakturaen" in e for e in events), events
    assert any("→ Levert" in e for e in events), events
    assert not any("delivered" in e or "queued" in e for e in events), events
    # History: the send is one line, from the audit row (who, from the screen, the status it
    # moved); the delivery event written with it is not shown again. The worker's moves are.
    entry = AuditEntry.objects.get(action=AuditAction.INVOICE_SENT, object_id=invoice.pk)
    assert (entry.actor_user, entry.source) == (accountant_no, Source.SCREEN)
    timeline = re.findall(r'data-testid="history-action">([^<]*)<', page)
    sends = [line for line in timeline if line.startswith("Sendt")]
    assert sends == ["Sendt: Ikke sendt → Sendt til AutoInvoice"], timeline
    assert len([line for line in timeline if "→ Levert" in line]) == 1, timeline
    assert len(timeline) == len(set(timeline)), timeline


def test_invoice_screen_looks_up_the_latest_delivery_once(client, company_no, accountant_no):
    """The sending-method block and the Actions menu share one lookup."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    client.force_login(accountant_no)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert response.status_code == 200
    latest = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "routing_delivery"' in q["sql"] and "ORDER BY" in q["sql"]
    ]
    assert len(latest) == 1, latest


def test_reroute_by_hand_for_accountants_not_support(
    client, company_no, accountant_no, support_no, django_capture_on_commit_callbacks
):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    delivery = Delivery.objects.create(
        company=company_no,
        branch=invoice.branch,
        invoice=invoice,
        status=DeliveryStatus.FAILED,
        channel="efaktura_no",
        external_id=invoice.document_uuid,
        error="The receiver rejected the document.",
    )
    url = reverse("routing:reroute", args=[invoice.pk])
    body = {"route": "email", "delivery": delivery.pk, "status": "failed"}
    client.force_login(support_no)
    page = client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert b'data-testid="reroute-email"' not in page.content
    assert client.post(url, body).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED

    client.force_login(accountant_no)
    page = client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert b'data-testid="reroute-email"' in page.content
    assert b'data-testid="reroute-print"' not in page.content  # no postal address: no button
    refused = client.post(url, {**body, "route": "fax"}, follow=True)
    assert "Choose email or print." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, body, HTTP_ACCEPT_LANGUAGE="nb", follow=True)
    assert "sendes på e-post til kari@example.no" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.channel) == (DeliveryStatus.DELIVERED, "email")
    assert delivery.events.filter(note="Re-routed by hand: by email", actor=accountant_no).exists()
    entry = AuditEntry.objects.get(object_id=invoice.pk, action__startswith="sending.")
    assert (entry.action, entry.actor_user, entry.source) == (
        AuditAction.INVOICE_REROUTED_EMAIL,
        accountant_no,
        Source.SCREEN,
    )
    assert entry.changes == [
        {"field": "delivery_status", "old": "error", "new": "sent_to_autoinvoice"}
    ]
    page = client.get(
        reverse("invoices:detail", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="nb"
    ).content.decode()
    timeline = re.findall(r'data-testid="history-action">([^<]*)<', page)
    rerouted = [line for line in timeline if line.startswith("Omdirigert manuelt")]
    assert rerouted == ["Omdirigert manuelt: på e-post: Feil → Sendt til AutoInvoice"], timeline
