"""Settings screens: who may change what, per-field errors, history, tenant isolation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from b2cportal.audit.models import AuditEntry
from b2cportal.companies.forms import AutoInvoiceSettingsForm, LedgerPreferencesForm
from b2cportal.companies.models import (
    AutoInvoiceSettings,
    CustomerLedgerPreferences,
)
from tests.factories import make_branch

pytestmark = pytest.mark.django_db

SETTINGS_POST = {
    "contact_person": "Per Hansen",
    "contact_email": "per@example.no",
    "contact_phone": "912 34 567",
    "consumer_einvoice_service": "autoinvoice_b2c",
    "endpoint": "test",
    "invoice_import_scenario": "draft",
    "imported_invoice_vat_setting": "from_supplier",
    "invoice_inbox_vat_setting": "none",
    "fallback_order": "print_only",
    "use_printing_services": "on",
}

LEDGER_POST = {
    "consumer_route_anyway": "on",
    "mobile_phone_field": "phone_1",
    "kid_algorithm": "mod11",
    "kid_length": "10",
    "kid_customer_number_start": "2",
    "kid_customer_number_end": "7",
}

# Every page of this area, by name, for the role checks below.
READ_PAGES = [
    "companies:autoinvoice",
    "companies:ledger",
    "companies:branches",
    "companies:company",
]
WRITE_POSTS = [
    ("companies:company", {"name": "Renamed AS"}),
    ("companies:autoinvoice", SETTINGS_POST),
    ("companies:ledger", LEDGER_POST),
    ("companies:b2cno_activate", {"signer_name": "A", "signer_email": "a@example.no"}),
    ("companies:b2cno_resend", {}),
    ("companies:b2cno_deactivate", {}),
    ("companies:refresh_activation", {}),
]


@pytest.mark.parametrize("name", READ_PAGES)
@pytest.mark.parametrize("role", ["admin_no", "accountant_no", "support_no"])
def test_every_role_can_read(client, request, role, name):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(("name", "data"), WRITE_POSTS)
@pytest.mark.parametrize("role", ["accountant_no", "support_no"])
def test_only_administrators_change_anything(client, request, role, name, data):
    client.force_login(request.getfixturevalue(role))
    assert client.post(reverse(name), data).status_code == 403
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", ["accountant_no", "support_no"])
def test_read_only_users_see_values_not_forms(client, request, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("companies:autoinvoice"))
    content = response.content.decode()
    assert 'data-testid="read-only-values"' in content
    assert 'data-testid="save-settings"' not in content
    assert 'data-testid="b2cno-activate"' not in content
    assert "Email, then print" in content


def test_administrator_saves_settings_and_history_shows_old_and_new(client, admin_no):
    client.force_login(admin_no)
    response = client.post(reverse("companies:autoinvoice"), SETTINGS_POST)
    assert response.status_code == 302
    saved = AutoInvoiceSettings.objects.get(
        branch=admin_no.memberships.get().company.branches.get()
    )
    assert saved.fallback_order == "print_only"
    assert saved.contact_phone == "+4791234567"
    assert saved.endpoint == "test"
    change = AuditEntry.objects.get(action="autoinvoice.updated")
    assert change.actor_user == admin_no
    assert {"field": "fallback_order", "old": "email_then_print", "new": "print_only"} in (
        change.changes
    )
    page = client.get(reverse("companies:autoinvoice")).content.decode()
    assert "Fallback order: Email, then print → Print only" in page
    assert "admin_no" in page


def test_saving_unchanged_settings_records_nothing(client, admin_no):
    client.force_login(admin_no)
    client.post(reverse("companies:autoinvoice"), SETTINGS_POST)
    client.post(reverse("companies:autoinvoice"), SETTINGS_POST)
    assert AuditEntry.objects.filter(action="autoinvoice.updated").count() == 1


def test_service_choice_is_limited_to_the_companys_country(company_no, company_se):
    norwegian = AutoInvoiceSettingsForm(company=company_no)
    swedish = AutoInvoiceSettingsForm(company=company_se)
    assert [c for c, _label in norwegian.fields["consumer_einvoice_service"].choices] == [
        "none",
        "autoinvoice_b2c",
    ]
    assert [c for c, _label in swedish.fields["consumer_einvoice_service"].choices] == [
        "none",
        "b2cse",
    ]
    # InExchange routing exists in Sweden only.
    assert "prevent_routing_through_inexchange" not in norwegian.fields
    assert "prevent_routing_through_inexchange" in swedish.fields


def test_the_consumer_einvoice_service_follows_the_activation_and_is_read_only(
    client, admin_no, company_no
):
    from b2cportal.companies import services

    # No active service on the branch: posting "AutoInvoice B2C" (or Sweden's) changes nothing.
    client.force_login(admin_no)
    for posted in ("autoinvoice_b2c", "b2cse"):
        response = client.post(
            reverse("companies:autoinvoice"), {**SETTINGS_POST, "consumer_einvoice_service": posted}
        )
        assert response.status_code == 302
        assert AutoInvoiceSettings.objects.get().consumer_einvoice_service == "none"
    page = client.get(reverse("companies:autoinvoice")).content.decode()
    assert 'name="consumer_einvoice_service"' in page
    assert "disabled" in page.split('name="consumer_einvoice_service"')[1].split(">")[0]
    # The service refuses the change from any other caller too.
    with pytest.raises(services.CompanyError) as refused:
        services.update_autoinvoice_settings(
            branch=company_no.branches.get(),
            acting_user=admin_no,
            changes={"consumer_einvoice_service": "autoinvoice_b2c"},
        )
    assert refused.value.field == "consumer_einvoice_service"


def test_bad_contact_phone_names_the_field(client, admin_no):
    client.force_login(admin_no)
    response = client.post(
        reverse("companies:autoinvoice"), {**SETTINGS_POST, "contact_phone": "12"}
    )
    assert response.status_code == 400
    assert "contact_phone" in response.context["form"].errors


def test_swedish_settings_save_prevent_routing_through_inexchange(client, admin_se):
    client.force_login(admin_se)
    data = {**SETTINGS_POST, "consumer_einvoice_service": "b2cse", "contact_phone": "070-123 45 67"}
    response = client.post(reverse("companies:autoinvoice"), data)  # checkbox left off
    assert response.status_code == 302
    saved = AutoInvoiceSettings.objects.get()
    assert saved.prevent_routing_through_inexchange is False
    assert saved.contact_phone == "+46701234567"


# --- Customer ledger preferences ---------------------------------------------------------------


def test_ledger_preferences_defaults(company_no):
    prefs = CustomerLedgerPreferences(company=company_no)
    assert prefs.consumer_route_anyway is False
    assert prefs.display_warning_message is True
    assert "within 3 days" in str(prefs._meta.get_field("consumer_route_anyway").help_text)


def test_ledger_preferences_saved_by_administrator(client, admin_no):
    client.force_login(admin_no)
    response = client.post(reverse("companies:ledger"), LEDGER_POST)
    assert response.status_code == 302
    prefs = CustomerLedgerPreferences.objects.get()
    assert prefs.consumer_route_anyway is True
    assert prefs.display_warning_message is False  # unchecked box
    assert (prefs.kid_algorithm, prefs.kid_length) == ("mod11", 10)
    assert AuditEntry.objects.get(action="ledger.updated").branch is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kid_customer_number_end": "12"}, "kid_customer_number_end", "at most 9"),
        ({"kid_length": "30"}, "kid_length", "between 2 and 25"),
        ({"kid_customer_number_start": "8"}, "kid_customer_number_start", "must not be after"),
        ({"kid_customer_number_start": "0"}, "kid_customer_number_start", "1 or more"),
    ],
)
def test_kid_positions_outside_the_kid_are_refused(company_no, changes, field, message):
    form = LedgerPreferencesForm(
        data={**LEDGER_POST, **changes},
        instance=CustomerLedgerPreferences(company=company_no),
        multi_branch=False,
    )
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_current_branch_only_is_shown_for_multi_branch_companies(client, admin_no, company_no):
    client.force_login(admin_no)
    assert (
        "send_agreement_current_branch_only"
        not in client.get(reverse("companies:ledger")).content.decode()
    )
    make_branch(company=company_no, branch_id="BRG", name="Bergen")
    assert (
        "send_agreement_current_branch_only"
        in client.get(reverse("companies:ledger")).content.decode()
    )


# --- Branches: Altinn settings ------------------------------------------------------------------


def test_altinn_settings_saved_by_administrator(client, admin_no, company_no):
    branch = company_no.branches.get()
    client.force_login(admin_no)
    url = reverse("companies:branch_altinn", args=[branch.pk])
    response = client.post(
        url,
        {
            "rf1301_contact_name": "Ola Nordmann",
            "rf1301_contact_phone": "22 12 34 56",
            "rf1301_contact_email": "ola@example.no",
        },
    )
    assert response.status_code == 302
    branch.refresh_from_db()
    assert branch.rf1301_contact_phone == "+4722123456"
    assert AuditEntry.objects.get(action="altinn.updated").branch == branch
    assert "Ola Nordmann" in client.get(url).content.decode()


def test_altinn_bad_phone_names_the_field(client, admin_no, company_no):
    branch = company_no.branches.get()
    client.force_login(admin_no)
    response = client.post(
        reverse("companies:branch_altinn", args=[branch.pk]),
        {"rf1301_contact_name": "Ola", "rf1301_contact_phone": "abc"},
    )
    assert response.status_code == 400
    assert "rf1301_contact_phone" in response.context["form"].errors


@pytest.mark.parametrize("role", ["accountant_no", "support_no"])
def test_altinn_read_only_for_others(client, request, role, company_no):
    branch = company_no.branches.get()
    client.force_login(request.getfixturevalue(role))
    url = reverse("companies:branch_altinn", args=[branch.pk])
    assert 'data-testid="read-only-values"' in client.get(url).content.decode()
    assert client.post(url, {"rf1301_contact_name": "X"}).status_code == 403


def test_foreign_branch_is_404(client, admin_no, company_se):
    foreign = company_se.branches.get()
    client.force_login(admin_no)
    url = reverse("companies:branch_altinn", args=[foreign.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"rf1301_contact_name": "X"}).status_code == 404


def test_branch_list_shows_only_own_branches(client, admin_no, company_se):
    client.force_login(admin_no)
    content = client.get(reverse("companies:branches")).content.decode()
    assert "Oslo" in content
    assert "Stockholm" not in content


def test_history_is_per_company(client, admin_no, admin_se):
    client.force_login(admin_se)
    client.post(reverse("companies:ledger"), LEDGER_POST)
    client.force_login(admin_no)
    assert 'data-testid="history-empty"' in client.get(reverse("companies:ledger")).content.decode()


def test_settings_nav_item_for_all_roles(client, support_no):
    client.force_login(support_no)
    assert reverse("companies:autoinvoice") in client.get(reverse("home")).content.decode()


def test_screens_and_errors_are_translated(client, admin_no):
    client.force_login(admin_no)
    page = client.get(reverse("companies:autoinvoice"), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Aktiver" in page
    assert "Reserverekkefølge" in page
    response = client.post(
        reverse("companies:ledger"),
        {**LEDGER_POST, "kid_customer_number_end": "12"},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert "slutpositionen kan vara högst 9" in response.content.decode()


@pytest.mark.parametrize(
    ("fixture", "service"), [("admin_no", "AutoInvoice B2C"), ("admin_se", "B2CSE")]
)
def test_consumer_service_help_says_it_reflects_the_activated_service(
    client, request, fixture, service
):
    client.force_login(request.getfixturevalue(fixture))
    page = client.get(reverse("companies:autoinvoice")).content.decode()
    assert "Follows the B2" in page
    assert service in page.split("Follows the B2", 1)[1].split("</", 1)[0]


# --- Company details ---------------------------------------------------------------------------


def test_administrator_corrects_the_company_name_and_history_records_it(
    client, admin_no, company_no, company_se
):
    client.force_login(admin_no)
    response = client.post(
        reverse("companies:company"),
        {"name": "Fjordtech Norge AS", "postcode": "0150", "city": "Oslo", "next": "/settings/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    company_no.refresh_from_db()
    company_se.refresh_from_db()
    assert company_no.name == "Fjordtech Norge AS"
    assert company_se.name == "Svea Handel AB"  # only the user's own company
    change = AuditEntry.objects.get(action="company.updated")
    assert {"field": "name", "old": "Fjordtech AS", "new": "Fjordtech Norge AS"} in (change.changes)
    page = client.get(reverse("companies:company")).content.decode()
    assert "Fjordtech AS → Fjordtech Norge AS" in page


def test_company_details_refuse_bad_input_on_the_field(client, admin_no, company_no):
    client.force_login(admin_no)
    response = client.post(
        reverse("companies:company"),
        {"name": "", "postcode": "12", "next": "https://evil.example/"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "name" in errors
    assert "postcode" in errors
    company_no.refresh_from_db()
    assert company_no.name == "Fjordtech AS"


def test_company_details_redirect_stays_on_this_site(client, admin_no):
    client.force_login(admin_no)
    response = client.post(
        reverse("companies:company"), {"name": "Fjordtech AS", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("companies:company")
