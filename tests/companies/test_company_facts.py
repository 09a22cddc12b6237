"""Settings → Company: the seller's facts and account, the same checks in the service and admin."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from b2cportal.audit.models import AuditEntry
from b2cportal.companies.forms import CompanyForm
from b2cportal.companies.services import CompanyError, update_company_facts

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("country", "changes", "field"),
    [
        ("SE", {"bank_account": "9020033", "bank_account_type": ""}, "bank_account_type"),
        ("SE", {"bank_account": "9020034", "bank_account_type": "plusgiro"}, "bank_account"),
        ("NO", {"bank_account": "12345678901"}, "bank_account"),
        ("NO", {"vat_number": "NO974760673MVA"}, "vat_number"),  # another company's
        ("SE", {"vat_number": "SE556016909502"}, "vat_number"),
    ],
)
def test_the_service_refuses_wrong_facts_naming_the_field(
    request, country, changes, field, django_user_model
):
    company = request.getfixturevalue("company_no" if country == "NO" else "company_se")
    user = django_user_model.objects.create_user("facts")
    with pytest.raises(CompanyError) as raised:
        update_company_facts(company=company, acting_user=user, changes=changes)
    assert raised.value.field == field
    company.refresh_from_db()
    assert company.bank_account == ""
    assert not AuditEntry.objects.exists()


def test_the_service_records_what_changed_and_keeps_each_countrys_statement(
    company_no, django_user_model
):
    user = django_user_model.objects.create_user("facts")
    update_company_facts(
        company=company_no,
        acting_user=user,
        changes={
            "bank_account": "8601 11 17947",
            "registered_in_foretaksregisteret": True,
            "f_tax_approved": True,  # Swedish: ignored for a Norwegian company
            "vat_registered": False,
        },
    )
    company_no.refresh_from_db()
    assert (company_no.bank_account, company_no.bank_account_type) == ("86011117947", "bban")
    assert company_no.registered_in_foretaksregisteret is True
    assert company_no.f_tax_approved is False
    assert company_no.vat_registered is False
    change = AuditEntry.objects.get()
    assert change.action == "company.updated"
    assert change.actor_user == user


@pytest.mark.parametrize(
    ("overrides", "error_field"),
    [
        ({"bank_account": "9020033", "bank_account_type": ""}, "bank_account_type"),
        ({"vat_number": "SE556547548901"}, "vat_number"),  # not the company's own
        ({"bank_account": "9020033", "bank_account_type": "plusgiro"}, None),
    ],
)
def test_the_admin_form_checks_as_the_screen_does(company_se, overrides, error_field):
    data = {k: v for k, v in model_to_dict(company_se).items() if v is not None}
    data.update(overrides)
    form = CompanyForm(data=data, instance=company_se)
    if error_field is None:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["bank_account"] == "902003-3"
    else:
        assert not form.is_valid()
        assert error_field in form.errors
