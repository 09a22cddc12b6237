"""Browser: support resends a request, an administrator marks an agreement deleted, support
exports the list as CSV; each with its main path and one bad input."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agreements.models import AgreementRequest, ConsumerAgreement
from tests.factories import make_customer

from .conftest import activate_norway, make_agreement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pending(company_no):
    """A Norwegian customer whose eFaktura request went out and was not answered yet."""
    branch = company_no.branches.get(is_main_office=True)
    activate_norway(branch)
    customer = make_customer(
        company=company_no,
        number="10001",
        name="Kari Nordmann",
        phone_2="+4791234567",
        einvoice_norway=True,
    )
    return make_agreement(customer=customer, branch=branch, status="REQUEST_SENT")


def test_support_resends_the_request(page, login, support_no, pending):
    login(support_no)
    page.goto(f"/agreements/customer/{pending.customer.pk}/")
    page.get_by_test_id("resend").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "The agreement request is queued to be sent again."
    )
    expect(page.get_by_test_id("agreement-requests").locator("li")).to_have_count(1)
    request = AgreementRequest.objects.get()
    assert (request.channel, request.recipient) == ("sms", "+4791234567")
    assert request.requested_by == support_no


def test_resend_without_any_contact_is_refused_clearly(page, login, support_no, pending):
    login(support_no)
    page.goto(f"/agreements/customer/{pending.customer.pk}/")
    # Meanwhile the customer's mobile number was removed: there is nobody to send it to.
    type(pending.customer).objects.filter(pk=pending.customer.pk).update(phone_2="", email="")
    page.get_by_test_id("resend").click()
    expect(page.locator(".alert-danger")).to_contain_text("neither a mobile number nor an email")
    assert not AgreementRequest.objects.exists()


def test_administrator_marks_an_agreement_deleted_after_confirming(page, login, admin_no, pending):
    login(admin_no)
    page.goto(f"/agreements/customer/{pending.customer.pk}/")
    page.get_by_test_id("mark-deleted").click()
    # The confirmation says what will happen; cancelling changes nothing.
    expect(page.get_by_test_id("confirm-question")).to_contain_text("as deleted")
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_test_id("agreement-status")).to_have_attribute("data-status", "REQUEST_SENT")
    page.get_by_test_id("mark-deleted").click()
    page.get_by_test_id("confirm").click()
    expect(page.locator(".alert-success")).to_contain_text("Agreement marked as deleted.")
    expect(page.get_by_test_id("agreement-status")).to_have_attribute("data-status", "DELETED")
    expect(page.get_by_test_id("mark-deleted")).to_have_count(0)
    pending.refresh_from_db()
    assert pending.status == "DELETED"
    assert pending.events.last().actor == admin_no


def test_mark_deleted_of_an_agreement_closed_meanwhile_is_refused(
    page, login, admin_no, support_no, pending
):
    login(admin_no)
    page.goto(f"/agreements/customer/{pending.customer.pk}/")
    page.get_by_test_id("mark-deleted").click()
    # The consumer rejected in the bank while the administrator read the confirmation.
    ConsumerAgreement.objects.filter(pk=pending.pk).update(status="REJECTED")
    page.get_by_test_id("confirm").click()
    expect(page.locator(".alert-danger")).to_contain_text("already closed")
    pending.refresh_from_db()
    assert pending.status == "REJECTED"


@pytest.fixture
def formula_customer(company_no, pending):
    customer = make_customer(
        company=company_no, number="10002", name='=HYPERLINK("http://x")', einvoice_norway=True
    )
    return make_agreement(customer=customer, branch=pending.branch, status="ACTIVE")


def test_support_exports_the_list_with_formulas_neutralised(
    page, login, support_no, pending, formula_customer
):
    login(support_no)
    page.goto("/agreements/")
    expect(page.get_by_test_id("agreement-list-row")).to_have_count(2)
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    download = info.value
    assert download.suggested_filename == "agreements.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["Customer no.", "Name"]
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {"10001", "10002"}
    assert by_number["10002"][1] == '\'=HYPERLINK("http://x")'
    assert by_number["10001"][4] == "Request sent"
    assert by_number["10001"][-1] == "REQUEST_SENT"


def test_support_list_bad_filter_shows_the_error_and_export_refuses_it(
    page, login, support_no, pending
):
    login(support_no)
    response = page.goto("/agreements/?status=NOT_A_STATUS")
    assert response.status == 200
    expect(page.locator("#id_status").locator("..").locator(".invalid-feedback")).to_contain_text(
        "Select a valid choice"
    )
    # Exporting with that filter does not quietly export every agreement instead.
    page.get_by_test_id("export-csv").click()
    expect(page.locator(".alert-danger")).to_contain_text("Correct the filter before exporting.")
    expect(page.locator("#id_status").locator("..").locator(".invalid-feedback")).to_be_visible()
