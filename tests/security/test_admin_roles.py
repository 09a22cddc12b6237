"""The admin enforces roles, not only tenancy, and validates as the screens do."""

from __future__ import annotations

import pytest
from django.urls import reverse

from b2cportal.companies.models import (
    Company,
    Membership,
    NorwayActivationStatus,
    NorwayB2CActivation,
    Role,
)
from b2cportal.customers.models import Customer
from invoices.services import release_invoice
from tests.factories import (
    invoice_ready_company,
    make_branch,
    make_company,
    make_customer,
    make_invoice,
    make_member,
    make_staff,
    make_user,
)

pytestmark = pytest.mark.django_db


def _url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def _company_post(company: Company, **overrides) -> dict:
    data = {
        "name": company.name,
        "country": company.country,
        "organisation_number": company.organisation_number,
        "vat_number": company.vat_number,
        "address_line1": company.address_line1,
        "address_line2": company.address_line2,
        "postcode": company.postcode,
        "city": company.city,
        "currency": company.currency,
        "email": company.email,
        "phone": company.phone,
        "bank_account": company.bank_account,
        "branches-TOTAL_FORMS": "0",
        "branches-INITIAL_FORMS": "0",
        "branches-MIN_NUM_FORMS": "0",
        "branches-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_support_staff_are_read_only_in_the_admin(client, company_no):
    support = make_staff(company=company_no, role=Role.SUPPORT)
    customer = make_customer(company=company_no, email="old@example.com")
    outsider = make_user()
    client.force_login(support)

    assert client.get(_url(Customer, "change", customer.pk)).status_code == 200
    response = client.post(
        _url(Membership, "add"), {"user": outsider.pk, "company": company_no.pk, "role": "support"}
    )
    assert response.status_code == 403
    own = Membership.objects.get(user=support)
    response = client.post(
        _url(Membership, "change", own.pk),
        {"user": support.pk, "company": company_no.pk, "role": Role.ADMINISTRATOR},
    )
    assert response.status_code == 403
    response = client.post(_url(Customer, "change", customer.pk), {"email": "new@example.com"})
    assert response.status_code == 403
    assert (
        client.post(_url(Company, "change", company_no.pk), _company_post(company_no)).status_code
        == 403
    )

    own.refresh_from_db()
    customer.refresh_from_db()
    assert own.role == Role.SUPPORT
    assert customer.email == "old@example.com"
    assert not Membership.objects.filter(user=outsider).exists()


def test_accountants_have_no_admin(client, company_no):
    accountant = make_staff(company=company_no, role=Role.ACCOUNTANT)
    client.force_login(accountant)
    assert client.get(_url(Customer, "changelist")).status_code == 403
    assert client.get(_url(Company, "changelist")).status_code == 403


def test_nobody_grants_a_role_above_their_own_or_in_a_company_they_do_not_administer(
    client, company_no, company_se
):
    admin = make_staff(company=company_no, role=Role.ADMINISTRATOR)
    Membership.objects.create(user=admin, company=company_se, role=Role.SUPPORT)
    newcomer = make_user()
    client.force_login(admin)
    response = client.post(
        _url(Membership, "add"),
        {"user": newcomer.pk, "company": company_se.pk, "role": Role.ADMINISTRATOR},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Membership.objects.filter(user=newcomer).exists()
    # In their own company an administrator can add a member.
    response = client.post(
        _url(Membership, "add"),
        {"user": newcomer.pk, "company": company_no.pk, "role": Role.ACCOUNTANT},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer).company == company_no


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("organisation_number", "12"),
        ("bank_account", "NOT-A-BBAN"),
        ("name", "Fjord\x07kraft"),
        ("postcode", "12"),
    ],
)
def test_company_admin_validates_like_the_screens(client, company_no, field, value):
    admin = make_staff(company=company_no, role=Role.ADMINISTRATOR)
    client.force_login(admin)
    before = Company.objects.get(pk=company_no.pk)
    response = client.post(
        _url(Company, "change", company_no.pk), _company_post(company_no, **{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert getattr(Company.objects.get(pk=company_no.pk), field) == getattr(before, field)


def test_company_admin_takes_no_other_companys_organisation_number(client, company_no, company_se):
    """Neither a company of its own country nor (unique per country only) one abroad."""
    other = make_company(country="NO")
    admin = make_staff(company=company_no, role=Role.ADMINISTRATOR)
    client.force_login(admin)
    for taken in (other.organisation_number, company_se.organisation_number):
        response = client.post(
            _url(Company, "change", company_no.pk),
            _company_post(company_no, organisation_number=taken),
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["organisation_number"]
        company_no.refresh_from_db()
        assert company_no.organisation_number != taken


def test_organisation_number_is_fixed_after_a_released_invoice(client, company_no):
    company = invoice_ready_company(company_no)
    admin = make_staff(company=company, role=Role.ADMINISTRATOR)
    release_invoice(invoice=make_invoice(company=company), released_by=admin)
    client.force_login(admin)
    new_number = "974760673" if company.organisation_number != "974760673" else "981566378"
    response = client.post(
        _url(Company, "change", company.pk),
        _company_post(company, organisation_number=new_number),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["organisation_number"]
    assert "released an invoice" in errors[0]
    company.refresh_from_db()
    assert company.organisation_number != new_number


def test_organisation_number_is_fixed_after_an_activation_started(client, company_no):
    branch = company_no.branches.first() or make_branch(company=company_no)
    NorwayB2CActivation.objects.create(
        branch=branch, status=NorwayActivationStatus.AWAITING_TERMS, signer_name="Kari"
    )
    admin = make_staff(company=company_no, role=Role.ADMINISTRATOR)
    client.force_login(admin)
    new_number = "974760673" if company_no.organisation_number != "974760673" else "981566378"
    response = client.post(
        _url(Company, "change", company_no.pk),
        _company_post(
            company_no,
            organisation_number=new_number,
            **{
                "branches-TOTAL_FORMS": str(company_no.branches.count()),
                "branches-INITIAL_FORMS": str(company_no.branches.count()),
                **{
                    f"branches-{i}-{k}": v
                    for i, b in enumerate(company_no.branches.all())
                    for k, v in {
                        "id": b.pk,
                        "company": company_no.pk,
                        "branch_id": b.branch_id,
                        "name": b.name,
                        "city": b.city,
                        "is_main_office": "on" if b.is_main_office else "",
                    }.items()
                },
            },
        ),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["organisation_number"]
    assert "activation" in errors[0]


def test_raw_id_widgets_do_not_label_other_companies_rows(client, company_no, company_se):
    foreign_user = make_member(company=company_se, role=Role.SUPPORT, username="sven-foreign")
    admin = make_staff(company=company_no, role=Role.ADMINISTRATOR)
    client.force_login(admin)
    response = client.get(_url(Membership, "add"), {"user": foreign_user.pk})
    assert response.status_code == 200
    assert "sven-foreign" not in response.content.decode()
    response = client.get(_url(Customer, "add"), {"company": company_se.pk})
    assert response.status_code == 200
    assert company_se.name not in response.content.decode()
    # The own company's rows keep their label.
    colleague = make_member(company=company_no, role=Role.SUPPORT, username="kari-colleague")
    response = client.get(_url(Membership, "add"), {"user": colleague.pk})
    assert "kari-colleague" in response.content.decode()


def test_activation_admin_forms_validate_accounts_like_the_screens(company_no, company_se):
    from b2cportal.companies.admin import NorwayActivationAdminForm, SwedenActivationAdminForm
    from b2cportal.companies.models import SwedenB2CActivation

    branch_no = company_no.branches.first() or make_branch(company=company_no)
    norway = NorwayB2CActivation.objects.create(branch=branch_no)
    form = NorwayActivationAdminForm(
        data={
            "branch": branch_no.pk,
            "status": norway.status,
            "use_agreement_capture": "on",
            "capture_bban": "NOT-A-BBAN",
            "capture_kid_length": "12",
            "capture_customer_number_start": "1",
            "capture_customer_number_end": "5",
            "pending_submission": "{}",
        },
        instance=norway,
    )
    assert "capture_bban" in form.errors

    branch_se = company_se.branches.first() or make_branch(company=company_se)
    sweden = SwedenB2CActivation.objects.create(branch=branch_se)
    form = SwedenActivationAdminForm(
        data={
            "branch": branch_se.pk,
            "status": sweden.status,
            "account_type": "bankgiro",
            "account_number": "1234-5678",
            "pending_submission": "{}",
        },
        instance=sweden,
    )
    assert "account_number" in form.errors


def test_invoice_admin_refuses_xml_illegal_characters(company_no):
    from invoices.admin import InvoiceAdminForm

    invoice = make_invoice(company=invoice_ready_company(company_no))
    data = {
        "company": company_no.pk,
        "branch": invoice.branch_id,
        "customer": invoice.customer_id,
        "kind": invoice.kind,
        "issue_date": "2026-11-02",
        "due_date": "2026-11-16",
        "currency": invoice.currency,
        "buyer_reference": "ref",
        "note": "Bad\x07bell",
    }
    form = InvoiceAdminForm(data=data, instance=invoice)
    assert "note" in form.errors
