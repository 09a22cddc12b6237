"""Django admin: every model's changelist, search and filters work; staff are scoped; fast."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from b2cportal.audit import services as audit
from b2cportal.audit.models import AuditEntry
from b2cportal.companies.models import (
    Branch,
    Company,
    NorwayB2CActivation,
    SwedenB2CActivation,
    SwedenReceivingAccount,
)
from b2cportal.companies.services import save_operator_connection
from b2cportal.customers.models import Customer
from simulator import models as network
from tests.factories import make_customer, make_staff, make_user

pytestmark = pytest.mark.django_db

OUR_APPS = {"companies", "customers", "simulator"}
MODELS = [m for m in admin.site._registry if m._meta.app_label in OUR_APPS]


@pytest.fixture(scope="module")
def demo(module_demo, django_db_blocker):
    """The demo plus a row in every admin of ours, made once for the module (module_db)."""
    with django_db_blocker.unblock():
        return _add_a_row_everywhere(module_demo)


def _add_a_row_everywhere(context):
    no, se = context.companies["NO"], context.companies["SE"]
    # The demo has the services active on the main offices; Bergen has none yet.
    NorwayB2CActivation.objects.create(branch=no.branches.get(branch_id="BGO"), signer_name="Kari")
    activation, _created = SwedenB2CActivation.objects.get_or_create(
        branch=se.branches.first(),
        defaults={"account_type": "bankgiro", "account_number": "50501055"},
    )
    SwedenReceivingAccount.objects.create(
        activation=activation, account_type="bankgiro", account_number="50501055"
    )
    audit.record(actor=context.users["admin"], obj=no, action="test.change")
    save_operator_connection(
        company=se,
        acting_user=None,
        environment="testing",
        company_uuid="1b4e28ba-2fa1-41d2-883f-0016d3cca427",
        api_key="k",
    )
    network.ActivationRequest.objects.create(
        service="b2cno",
        organisation_number=no.organisation_number,
        completes_at=timezone.now() + timedelta(days=1),
    )
    network.EFakturaReceiver.objects.create(national_id="15076500565", name="Kari")
    network.FmiRegistration.objects.create(ssn="198112189876", bank_id="NB", issuer_fui="x")
    network.DigitalMailboxAccount.objects.create(ssn="198112189876", provider="billo")
    network.Participant.objects.create(kind="peppol", scheme="0192", identifier="923609016")
    network.OutboundMessage.objects.create(channel="sms", recipient="+4791234567", body="Hi")
    network.ConsumerLink.objects.create(issuer=no.organisation_number, offer={"ref": "1"})
    network.InboxDocument.objects.create(
        document_uuid="0c8a7a3e-2a43-4a43-9d0c-5b8a8d3a1f02",
        kind="peppol",
        recipient="923609016",
        issuer_identifier=no.organisation_number,
        content_type="application/xml",
        content=b"<Invoice/>",
    )
    return context


def _changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_every_model_of_our_apps_is_registered():
    from django.apps import apps

    ours = {m for m in apps.get_models() if m._meta.app_label in OUR_APPS}
    assert ours == set(MODELS)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_search_filters_and_change_page(client, demo, model):
    client.force_login(demo.users["admin"])
    url = _changelist(model)
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count()
    assert client.get(url, {"q": "a"}).status_code == 200
    for spec in response.context["cl"].filter_specs:
        for choice in list(spec.choices(response.context["cl"]))[:3]:
            filtered = client.get(url + choice["query_string"])
            assert filtered.status_code == 200, choice["query_string"]
    obj = model.objects.first()
    change = reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]
    )
    assert client.get(change).status_code == 200


def test_customer_search_in_admin(client, demo):
    client.force_login(demo.users["admin"])
    target = Customer.objects.filter(company=demo.companies["SE"]).first()
    response = client.get(_changelist(Customer), {"q": target.number})
    assert target.pk in [c.pk for c in response.context["cl"].result_list]
    # National IDs are not searched through the admin's GET query string (access logs).
    if target.national_id:
        response = client.get(_changelist(Customer), {"q": target.national_id})
        assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize(
    "model", [Company, Branch, Customer, AuditEntry], ids=lambda m: m._meta.label
)
def test_staff_see_only_their_companies_rows(client, demo, model):
    staff = demo.users["no-admin"]
    client.force_login(staff)
    response = client.get(_changelist(model))
    assert response.status_code == 200
    rows = list(response.context["cl"].queryset)
    assert rows
    company_of = {
        Company: lambda r: r,
        Branch: lambda r: r.company,
        Customer: lambda r: r.company,
        AuditEntry: lambda r: r.company,
    }[model]
    assert {company_of(r) for r in rows} == {demo.companies["NO"]}


def test_staff_cannot_open_a_foreign_row(client, demo):
    client.force_login(demo.users["no-admin"])
    foreign = Customer.objects.filter(company=demo.companies["SE"]).first()
    response = client.get(reverse("admin:customers_customer_change", args=[foreign.pk]))
    assert response.status_code == 302  # "doesn't exist. Perhaps it was deleted?"
    assert foreign.name.encode() not in client.get(response["Location"]).content


def test_staff_foreign_key_choices_are_scoped(client, demo):
    client.force_login(demo.users["no-admin"])
    response = client.get(reverse("admin:companies_branch_add"))
    choices = list(response.context["adminform"].form.fields["company"].queryset)
    assert choices == [demo.companies["NO"]]


def test_network_admin_is_for_superusers_only(client, demo):
    client.force_login(demo.users["no-admin"])
    index = client.get(reverse("admin:index"))
    assert b"Network simulator" not in index.content
    assert client.get(_changelist(network.RegisterEntry)).status_code == 403
    client.force_login(demo.users["admin"])
    assert b"Network simulator" in client.get(reverse("admin:index")).content


def test_settings_changes_are_read_only(client, demo):
    client.force_login(demo.users["admin"])
    change = AuditEntry.objects.first()
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    response = client.post(
        reverse("admin:audit_auditentry_delete", args=[change.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditEntry.objects.filter(pk=change.pk).exists()


def test_admin_customer_save_goes_through_the_rules(client, demo):
    client.force_login(demo.users["admin"])
    company = demo.companies["NO"]
    data = {
        "company": company.pk,
        "number": "77777",
        "name": "Admin Made",
        "kind": "consumer",
        "national_id": "15076500566",  # wrong check digit
        "country": "NO",
        "postcode": "0155",
        "city": "Oslo",
        "language": "nb",
        "delivery_method": "email",
        "is_active": "on",
    }
    response = client.post(reverse("admin:customers_customer_add"), data)
    assert response.status_code == 200
    assert "national_id" in response.context["adminform"].form.errors
    data["national_id"] = "150765 00565"
    response = client.post(reverse("admin:customers_customer_add"), data)
    assert response.status_code == 302
    saved = Customer.objects.get(company=company, number="77777")
    assert saved.national_id == "15076500565"
    assert saved.updated_by == demo.users["admin"]
    # Recorded once, by the service, as an admin change (the mixin leaves it to the service).
    (entry,) = AuditEntry.objects.filter(object_id=saved.pk, action="customer.created")
    assert (entry.source, entry.actor_user, entry.company) == (
        "admin",
        demo.users["admin"],
        company,
    )
    assert not AuditEntry.objects.filter(object_id=saved.pk, action__startswith="admin.").exists()


@pytest.mark.parametrize("model", [Customer, Branch, AuditEntry], ids=lambda m: m._meta.label)
def test_changelist_query_count_does_not_grow_with_rows(client, demo, model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(demo.users["admin"])
    url = _changelist(model)
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    no = demo.companies["NO"]
    for n in range(15):
        if model is Customer:
            make_customer(company=no, number=f"T{n}")
        elif model is Branch:
            Branch.objects.create(company=no, branch_id=f"X{n}", name=f"Extra {n}")
        else:
            branch = no.branches.first()
            audit.record(
                actor=make_user(),
                obj=audit.Target(branch, company_id=no.pk, branch_id=branch.pk),
                action=f"a{n}",
            )
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_staff_without_membership_sees_nothing(client, demo):
    staff = make_staff()
    client.force_login(staff)
    # The admin follows the membership's role: no membership, no admin at all.
    response = client.get(_changelist(Customer))
    assert response.status_code == 403


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_staff_changelists_never_name_a_foreign_company(client, demo, model):
    client.force_login(demo.users["no-admin"])
    response = client.get(_changelist(model))
    if response.status_code == 403:  # the simulated network: superusers only
        assert model._meta.app_label == "simulator"
        return
    assert response.status_code == 200
    assert demo.companies["SE"].name.encode() not in response.content


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_staff_add_forms_offer_no_foreign_choices(client, demo, model):
    client.force_login(demo.users["no-admin"])
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    response = client.get(url)
    assert response.status_code in (200, 403)
    assert demo.companies["SE"].name.encode() not in response.content
    assert b"STO Stockholm" not in response.content  # the Swedish company's branch


# --- Activation rules cannot be skipped in the admin ----------------------------------------


def test_staff_cannot_set_an_activation_status_or_create_one(client, company_no):
    from b2cportal.companies.models import NorwayB2CActivation

    branch = company_no.branches.get(is_main_office=True)
    activation = NorwayB2CActivation.objects.create(branch=branch, status="awaiting_terms")
    staff = make_staff(company=company_no)
    client.force_login(staff)
    change = reverse("admin:companies_norwayb2cactivation_change", args=[activation.pk])
    assert client.get(change).status_code == 200  # may look
    client.post(change, {"status": "active"})
    activation.refresh_from_db()
    assert activation.status == "awaiting_terms"
    assert client.get(reverse("admin:companies_swedenb2cactivation_add")).status_code == 403
    assert client.get(reverse("admin:companies_swedenreceivingaccount_add")).status_code == 403


def test_only_superusers_create_companies(client, company_no, django_user_model):
    staff = make_staff(company=company_no)
    client.force_login(staff)
    assert client.get(reverse("admin:companies_company_add")).status_code == 403
    superuser = django_user_model.objects.create_superuser("root", password="pw")
    client.force_login(superuser)
    assert client.get(reverse("admin:companies_company_add")).status_code == 200
