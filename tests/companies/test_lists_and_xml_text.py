"""Branch list: constant queries, tenant isolation; XML-illegal text refused on settings."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from b2cportal.companies.models import AutoInvoiceSettings, Branch, NorwayB2CActivation
from tests.factories import make_branch

pytestmark = pytest.mark.django_db

BRANCHES = reverse("companies:branches")


def _queries(client, url) -> int:
    client.get(url)  # warm per-session caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_branch_list_query_count_is_constant(client, admin_no, company_no):
    client.force_login(admin_no)
    few = _queries(client, BRANCHES)
    for n in range(20):
        make_branch(company=company_no, branch_id=f"B{n}", name=f"Branch {n}")
    assert _queries(client, BRANCHES) == few


def test_branch_list_has_no_foreign_rows(client, admin_no, company_no, company_se):
    make_branch(company=company_no, branch_id="BERGEN", name="Bergen kontor")
    make_branch(company=company_se, branch_id="GBG", name="Göteborg kontor")
    foreign = Branch.objects.filter(company=company_se)
    client.force_login(admin_no)
    content = client.get(BRANCHES).content.decode()
    assert "Bergen kontor" in content
    for branch in foreign:
        assert branch.name not in content
        assert reverse("companies:branch_altinn", args=[branch.pk]) not in content


# --- XML-illegal characters --------------------------------------------------------------------


def test_altinn_contact_name_with_a_control_character_is_refused(client, admin_no, company_no):
    branch = company_no.branches.get()
    client.force_login(admin_no)
    response = client.post(
        reverse("companies:branch_altinn", args=[branch.pk]),
        {"rf1301_contact_name": "Ola\x07", "rf1301_contact_phone": "22 12 34 56"},
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["rf1301_contact_name"]
    branch.refresh_from_db()
    assert branch.rf1301_contact_name == ""
    assert branch.rf1301_contact_phone == ""


def test_autoinvoice_contact_person_with_a_control_character_is_refused(client, admin_no):
    client.force_login(admin_no)
    response = client.post(
        reverse("companies:autoinvoice"),
        {
            "contact_person": "Per\x0bHansen",
            "contact_email": "per@example.no",
            "consumer_einvoice_service": "autoinvoice_b2c",
            "endpoint": "test",
            "invoice_import_scenario": "draft",
            "imported_invoice_vat_setting": "from_supplier",
            "invoice_inbox_vat_setting": "none",
            "fallback_order": "print_only",
        },
    )
    assert response.status_code == 400
    assert "contact_person" in response.context["form"].errors
    assert not AutoInvoiceSettings.objects.filter(contact_person__contains="Per").exists()


def test_activation_signer_name_with_a_control_character_is_refused(client, admin_no, company_no):
    client.force_login(admin_no)
    response = client.post(
        reverse("companies:b2cno_activate"),
        {"signer_name": "Kari\x01", "signer_email": "kari@example.no"},
    )
    assert response.status_code == 400
    assert "signer_name" in response.context["activation_form"].errors
    assert not NorwayB2CActivation.objects.filter(signer_name__startswith="Kari").exists()
