"""Support list, export, customer tab and actions: filters, query counts, roles, tenancy."""

import csv
import io

import pytest
from django.template import Context, Template
from django.urls import reverse

from agreements.models import AgreementRequest, ConsumerAgreement
from b2cportal.companies.models import Membership, Role
from b2cportal.csv_export import csv_cell
from tests.factories import make_branch, make_customer

from .conftest import activate_norway, make_agreement, set_prefs

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated(company_no, main_branch, second_branch):
    rows = {}
    specs = [
        ("20001", "Ola Hansen", "ACTIVE", main_branch, "jtta", "15108695088", "ola@example.no"),
        ("20002", "Per Olsen", "REQUEST_SENT", main_branch, "request_sms", "", "per@example.no"),
        ("20003", "Anne Berg", "REJECTED", second_branch, "online_bank", "", ""),
        ("20004", "=cmd|' /C calc'!A0", "ERROR", main_branch, "request_email", "", ""),
    ]
    for number, name, status, branch, source, nid, email in specs:
        customer = make_customer(
            company=company_no,
            number=number,
            name=name,
            national_id=nid,
            email=email,
            phone_2="+479000" + number[-4:],
            einvoice_norway=True,
        )
        rows[number] = make_agreement(
            customer=customer, branch=branch, status=status, source=source
        )
    return rows


def numbers(response):
    return sorted(a.customer.number for a in response.context["page"])


def test_list_requires_membership(client):
    response = client.get(reverse("agreements:list"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["20001", "20002", "20003", "20004"]),
        ({"q": "20002"}, ["20002"]),
        ({"q": "hansen"}, ["20001"]),
        ({"q": "per@example.no"}, ["20002"]),
        ({"q": "+4790000003"}, ["20003"]),
        ({"q": "90000003"}, ["20003"]),
        ({"q": "15108695088"}, ["20001"]),
        ({"q": "151086 95088"}, ["20001"]),
        ({"q": "1510869508"}, []),  # national IDs only match exactly
        ({"status": "ERROR"}, ["20004"]),
        ({"network": "NO_EFAKTURA"}, ["20001", "20002", "20003", "20004"]),
        ({"source": "jtta"}, ["20001"]),
        ({"wanted_without_active": "on"}, ["20002", "20003", "20004"]),
    ],
)
def test_search_and_filters(client, support_no, populated, params, expected):
    client.force_login(support_no)
    response = client.get(reverse("agreements:list"), params)
    assert response.status_code == 200
    assert numbers(response) == expected


def test_filters_offer_only_what_exists_in_the_companys_country(
    client, support_no, admin_se, populated
):
    client.force_login(support_no)
    norwegian = client.get(reverse("agreements:list"))
    form = norwegian.context["form"]
    assert [c for c, _ in form.fields["network"].choices] == ["", "NO_EFAKTURA"]
    assert "fmi_onboarding" not in dict(form.fields["source"].choices)
    assert "wanted_without_active" in form.fields
    # Sweden's network is not a Norwegian filter: the field says so instead of showing all.
    refused = client.get(reverse("agreements:list"), {"network": "SE_BANK"})
    assert "network" in refused.context["form"].errors

    client.force_login(admin_se)
    swedish = client.get(reverse("agreements:list"))
    form = swedish.context["form"]
    assert [c for c, _ in form.fields["network"].choices] == ["", "SE_BANK"]
    assert [c for c, _ in form.fields["source"].choices] == ["", "fmi_onboarding"]
    assert [c for c, _ in form.fields["status"].choices] == ["", "ACTIVE", "DELETED"]
    assert "wanted_without_active" not in form.fields
    content = swedish.content.decode()
    for norwegian_only in ("Request by SMS", "JTTA", "Agreement capture", "Request sent"):
        assert norwegian_only not in content


def test_branch_filter(client, support_no, populated, second_branch):
    client.force_login(support_no)
    response = client.get(reverse("agreements:list"), {"branch": second_branch.pk})
    assert numbers(response) == ["20003"]


def test_counts_per_status(client, support_no, populated):
    client.force_login(support_no)
    response = client.get(reverse("agreements:list"), {"status": "ACTIVE"})
    counts = {code: n for code, _label, n in response.context["counts"]}
    # Counts ignore the status filter itself so support sees the whole distribution.
    assert counts["ACTIVE"] == 1
    assert counts["REJECTED"] == 1
    assert counts["NEW"] == 0
    assert b'data-status="ERROR"' in response.content


def test_list_query_count_is_constant(client, support_no, company_no, main_branch, populated):
    client.force_login(support_no)
    url = reverse("agreements:list")
    client.get(url)  # warm session/auth caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url, {"q": "a"})
    for n in range(30):
        customer = make_customer(company=company_no, number=f"3{n:04d}", name=f"Extra {n} a")
        make_agreement(customer=customer, branch=main_branch)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"q": "a"})
    assert len(response.context["page"]) > 30
    assert len(many) == len(few)
    assert len(many) <= 12


def test_pagination(client, support_no, company_no, main_branch):
    for _n in range(55):
        make_agreement(customer=make_customer(company=company_no), branch=main_branch)
    client.force_login(support_no)
    first = client.get(reverse("agreements:list"))
    assert len(first.context["page"]) == 50
    second = client.get(reverse("agreements:list"), {"page": 2})
    assert len(second.context["page"]) == 5


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+47", "'+47"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Kari", "Kari"),
        ("", ""),
        (None, ""),
    ],
)
def test_neutralise(raw, safe):
    assert csv_cell(raw) == safe


def test_csv_export_escapes_formulas_and_is_tenant_scoped(
    client, support_no, populated, company_se
):
    other = make_customer(company=company_se, number="99999", name="Foreign")
    make_agreement(
        customer=other, branch=company_se.branches.get(), network="SE_BANK", status="ACTIVE"
    )
    client.force_login(support_no)
    response = client.get(reverse("agreements:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Customer no."
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {"20001", "20002", "20003", "20004"}
    assert by_number["20004"][1] == "'=cmd|' /C calc'!A0"
    assert by_number["20001"][4] == "Active"


def test_csv_export_has_labels_in_the_users_language_and_the_list_order(
    client, support_no, populated
):
    from django.utils import translation

    client.force_login(support_no)
    page = client.get(reverse("agreements:list"))
    response = client.get(reverse("agreements:export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-1] == "status_code"
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["20001"][3:5] == ["eFaktura (Norway)", "Active"]
    assert by_number["20001"][6] == "Ja takk til alle (JTTA)"
    assert by_number["20001"][-1] == "ACTIVE"
    assert by_number["20002"][6] == "Request by SMS"
    # Same row order as the on-screen list.
    assert [row[0] for row in rows[1:]] == [a.customer.number for a in page.context["page"]]
    assert "NO_EFAKTURA" not in b"".join(r.encode() for row in rows for r in row[:-1]).decode()

    with translation.override("nb"):
        response = client.get(reverse("agreements:export"), HTTP_ACCEPT_LANGUAGE="nb")
        body = b"".join(response.streaming_content).decode()
    # Nordic Excel: a byte-order mark and semicolons.
    assert body.startswith("\ufeff")
    nb_rows = {row[0]: row for row in csv.reader(io.StringIO(body[1:]), delimiter=";")}
    assert nb_rows["20001"][4] == str(_nb("Active"))
    assert nb_rows["20001"][4] != "Active"


def _nb(text):
    from django.utils import translation

    with translation.override("nb"):
        return translation.gettext(text)


def test_list_and_customer_tab_show_status_labels_not_codes(client, support_no, populated):
    client.force_login(support_no)
    content = client.get(reverse("agreements:list")).content.decode()
    assert ">Request sent</span>" in content
    assert ">REQUEST_SENT<" not in content
    tab = client.get(reverse("agreements:customer", args=[populated["20001"].customer_id]))
    tab_content = tab.content.decode()
    assert ">Active</span>" in tab_content
    assert ">ACTIVE<" not in tab_content


def test_dates_use_the_locale_format(client, support_no, populated):
    """English reads ISO dates with a 24-hour clock (b2cportal/formats/en), never US style."""
    from django.utils import timezone, translation
    from django.utils.formats import date_format

    agreement = populated["20001"]
    iso = timezone.localtime(agreement.last_updated).strftime("%Y-%m-%d %H:%M")
    client.force_login(support_no)
    for url in (
        reverse("agreements:list"),
        reverse("agreements:customer", args=[agreement.customer_id]),
    ):
        content = client.get(url).content.decode()
        with translation.override("en"):
            stamp = date_format(timezone.localtime(agreement.last_updated), "SHORT_DATETIME_FORMAT")
        assert stamp == iso
        assert stamp in content
        assert "a.m." not in content
        assert "p.m." not in content
        nb_content = client.get(url, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
        with translation.override("nb"):
            nb_stamp = date_format(
                timezone.localtime(agreement.last_updated), "SHORT_DATETIME_FORMAT"
            )
        assert nb_stamp in nb_content


def test_csv_export_honours_filters(client, support_no, populated):
    client.force_login(support_no)
    response = client.get(reverse("agreements:export"), {"status": "ACTIVE"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[0] for r in rows[1:]] == ["20001"]


def test_list_is_tenant_scoped(client, admin_se, populated):
    client.force_login(admin_se)
    response = client.get(reverse("agreements:list"))
    assert numbers(response) == []
    assert b"Ola Hansen" not in response.content


# --- Customer tab and actions --------------------------------------------------------------


def test_customer_page_shows_agreements_and_history(client, support_no, populated):
    agreement = populated["20001"]
    client.force_login(support_no)
    response = client.get(reverse("agreements:customer", args=[agreement.customer_id]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-status="ACTIVE"' in content
    assert "Ja takk til alle (JTTA)" in content
    assert "Other invoice settings" in content
    # Support may resend but not check or delete.
    assert 'data-testid="check-now"' not in content
    assert 'data-testid="mark-deleted"' not in content


def test_customer_page_and_actions_of_another_company_are_404(
    client, admin_se, populated, customer_no
):
    agreement = populated["20002"]
    client.force_login(admin_se)
    customer_id = agreement.customer_id
    assert client.get(reverse("agreements:customer", args=[customer_id])).status_code == 404
    assert client.post(reverse("agreements:request", args=[customer_id])).status_code == 404
    assert client.post(reverse("agreements:check", args=[customer_id])).status_code == 404
    assert client.post(reverse("agreements:resend", args=[agreement.pk])).status_code == 404
    Membership.objects.filter(user=admin_se).update(role=Role.ADMINISTRATOR)
    assert client.post(reverse("agreements:delete", args=[agreement.pk])).status_code == 404
    agreement.refresh_from_db()
    assert agreement.status == "REQUEST_SENT"


def test_support_can_resend(client, support_no, customer_no, main_branch):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    client.force_login(support_no)
    response = client.post(reverse("agreements:resend", args=[agreement.pk]), follow=True)
    assert b"sent again" in response.content
    assert AgreementRequest.objects.count() == 1


def test_support_cannot_check_or_delete(client, support_no, customer_no, main_branch):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    client.force_login(support_no)
    assert client.post(reverse("agreements:check", args=[customer_no.pk])).status_code == 403
    assert client.post(reverse("agreements:delete", args=[agreement.pk])).status_code == 403


def test_accountant_cannot_delete_admin_can(
    client, accountant_no, admin_no, customer_no, main_branch
):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    client.force_login(accountant_no)
    assert client.post(reverse("agreements:delete", args=[agreement.pk])).status_code == 403
    client.force_login(admin_no)
    response = client.post(reverse("agreements:delete", args=[agreement.pk]), follow=True)
    assert b"marked as deleted" in response.content
    agreement.refresh_from_db()
    assert agreement.status == "DELETED"


def test_request_action_reports_refusal(client, accountant_no, company_no, main_branch):
    customer = make_customer(company=company_no, einvoice_norway=True)
    client.force_login(accountant_no)
    response = client.post(reverse("agreements:request", args=[customer.pk]), follow=True)
    assert b"neither a mobile number nor an email" in response.content
    assert not ConsumerAgreement.objects.exists()


def test_request_action_then_no_spam_message(
    client, accountant_no, customer_no, main_branch, django_capture_on_commit_callbacks
):
    client.force_login(accountant_no)
    url = reverse("agreements:request", args=[customer_no.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert b"queued for 1 branch" in response.content
    response = client.post(url, follow=True)
    assert b"No new request" in response.content
    assert AgreementRequest.objects.count() == 1


def test_check_now_action(client, accountant_no, customer_no, main_branch):
    client.force_login(accountant_no)
    response = client.post(reverse("agreements:check", args=[customer_no.pk]), follow=True)
    assert b"No change from the eFaktura receiver directory" in response.content


# --- Warning component ---------------------------------------------------------------------


def render_warning(customer, branch=None):
    return Template("{% load agreement_tags %}{% agreement_warning customer branch %}").render(
        Context({"customer": customer, "branch": branch})
    )


def test_warning_text_exact(customer_no, main_branch):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    html = render_warning(customer_no, main_branch)
    from django.utils import timezone
    from django.utils.formats import date_format

    stamp = date_format(timezone.localtime(agreement.last_updated), "SHORT_DATETIME_FORMAT")
    # English: one ISO format with a 24-hour clock, never "12/04/2026 6:32 p.m.".
    assert stamp == timezone.localtime(agreement.last_updated).strftime("%Y-%m-%d %H:%M")
    expected = (
        f"The e-invoice agreement status for Kari Nordmann is Request sent - last updated: {stamp}"
    )
    assert expected in html, html
    assert 'data-testid="agreement-warning"' in html
    assert "bi-exclamation-triangle-fill" in html


def test_warning_translated(customer_no, main_branch):
    from django.utils import translation

    make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    with translation.override("nb"):
        html = render_warning(customer_no, main_branch)
    assert "Avtalestatusen for e-faktura for Kari Nordmann er" in html


def test_no_warning_when_active_option_off_or_setting_off(company_no, customer_no, main_branch):
    make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    assert render_warning(customer_no, main_branch).strip() == ""
    other = make_customer(company=company_no, einvoice_norway=False)
    assert render_warning(other, main_branch).strip() == ""
    waiting = make_customer(company=company_no, einvoice_norway=True, name="Waiting")
    assert "Waiting is No agreement" in render_warning(waiting, main_branch)
    set_prefs(company_no, display_warning_message=False)
    assert render_warning(waiting, main_branch).strip() == ""


def test_warning_is_per_branch(company_no, customer_no, main_branch):
    elsewhere = make_branch(company=company_no, branch_id="TRD", name="Trondheim")
    activate_norway(elsewhere)
    make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    assert render_warning(customer_no, main_branch).strip() == ""
    assert "No agreement" in render_warning(customer_no, elsewhere)
    assert render_warning(customer_no, None).strip() == ""


def test_tab_is_registered_on_the_customer_screen(client, support_no, customer_no, main_branch):
    from b2cportal.extensions import contributions

    templates = [template for _label, template in contributions("customer_tabs")]
    assert templates.count("agreements/customer_tab.html") == 1
    make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    client.force_login(support_no)
    response = client.get(reverse("customers:detail", args=[customer_no.pk]))
    content = response.content.decode()
    assert 'data-testid="agreements-tab"' in content
    assert 'data-status="REQUEST_SENT"' in content
    assert 'data-testid="agreement-warning"' in content


def test_swedish_customer_tab_lists_fmi_agreement(client, support_se, customer_se, sweden_branch):
    make_agreement(
        customer=customer_se,
        branch=sweden_branch,
        network="SE_BANK",
        status="ACTIVE",
        reference="198112289874.NB.SE",
        source="fmi_onboarding",
    )
    client.force_login(support_se)
    response = client.get(reverse("agreements:customer", args=[customer_se.pk]))
    content = response.content.decode()
    assert "198112289874.NB.SE" in content
    assert "Bank e-invoice via FMI (Sweden)" in content
    assert 'data-testid="send-request"' not in content  # Sweden: consumers join in their bank


def test_wanted_filter_also_counts_customers_without_any_agreement(
    client, support_no, company_no, populated
):
    make_customer(company=company_no, number="20099", name="Never Asked", einvoice_norway=True)
    client.force_login(support_no)
    response = client.get(reverse("agreements:list"), {"wanted_without_active": "on"})
    assert response.context["without_agreement"] == 1
    assert b"1 customer wants e-invoice (Norway) but has no agreement at all yet." in (
        response.content
    )


def _export_queries(client, params=None):
    """(queries while the view builds the response, queries while the body is read, rows)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as building:
        response = client.get(reverse("agreements:export"), params or {})
    with CaptureQueriesContext(connection) as reading:
        body = b"".join(response.streaming_content).decode()
    return response, building, reading, list(csv.reader(io.StringIO(body)))


def test_csv_export_query_count_is_constant(client, support_no, company_no, main_branch, populated):
    client.force_login(support_no)
    client.get(reverse("agreements:list"))  # warm session/auth caches
    _r, few_build, few_read, few_rows = _export_queries(client)
    for n in range(60):
        customer = make_customer(company=company_no, number=f"4{n:04d}", name=f"Extra {n}")
        make_agreement(customer=customer, branch=main_branch)
    _r, many_build, many_read, many_rows = _export_queries(client)
    assert len(few_rows) == 1 + 4
    assert len(many_rows) == 1 + 64
    assert len(many_build) + len(many_read) == len(few_build) + len(few_read)
    assert len(many_read) == 1  # one query for every row, read as the body is sent


def test_csv_export_streams_rows_while_the_body_is_sent(client, support_no, populated):
    from django.http import StreamingHttpResponse

    client.force_login(support_no)
    response, building, reading, rows = _export_queries(client, {"status": "ACTIVE"})
    assert isinstance(response, StreamingHttpResponse)
    assert response.streaming
    # The agreement rows are not loaded while the view runs; they come from an iterator while
    # the body is written, so memory does not grow with the number of agreements.
    assert not [q for q in building.captured_queries if "agreements_consumeragreement" in q["sql"]]
    assert [q for q in reading.captured_queries if "agreements_consumeragreement" in q["sql"]]
    assert [r[0] for r in rows[1:]] == ["20001"]


def test_csv_export_reads_rows_through_an_iterator(monkeypatch, client, support_no, populated):
    """Rows come from QuerySet.iterator() (chunked, no result cache), not a loaded list."""
    from django.db.models.query import QuerySet

    calls = []
    original = QuerySet.iterator

    def spy(self, *args, **kwargs):
        calls.append(kwargs.get("chunk_size"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    client.force_login(support_no)
    response = client.get(reverse("agreements:export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 5
    assert calls
    assert calls[0]


def test_csv_export_with_an_invalid_filter_exports_nothing(client, support_no, populated):
    client.force_login(support_no)
    response = client.get(reverse("agreements:export"), {"status": "BOGUS"}, follow=True)
    assert not getattr(response, "streaming", False)
    assert response.redirect_chain[-1][0].startswith(reverse("agreements:list") + "?status=BOGUS")
    assert b"Correct the filter before exporting." in response.content
    assert response.context["form"].errors["status"]
