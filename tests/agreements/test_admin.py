"""Admin: staff see only their companies' agreements; lists are query-bounded; no deletes."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import make_customer, make_staff

from .conftest import make_agreement

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_no(company_no):
    user = make_staff(company=company_no)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="agreements"))
    return user


@pytest.fixture
def two_tenants(company_no, company_se, customer_no, main_branch):
    own = make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    foreign_customer = make_customer(company=company_se, number="77777", name="Utländsk Kund")
    foreign = make_agreement(
        customer=foreign_customer,
        branch=company_se.branches.get(),
        network="SE_BANK",
        status="ACTIVE",
    )
    return own, foreign


@pytest.mark.parametrize("model", ["consumeragreement", "agreementevent", "agreementrequest"])
def test_changelists_are_tenant_scoped(client, staff_no, two_tenants, model):
    own, _foreign = two_tenants
    from agreements.models import AgreementRequest

    AgreementRequest.objects.create(agreement=own, channel="sms", recipient="+4791234567")
    AgreementRequest.objects.create(agreement=_foreign, channel="sms", recipient="+46701234567")
    client.force_login(staff_no)
    response = client.get(reverse(f"admin:agreements_{model}_changelist"))
    assert response.status_code == 200
    assert b"Kari Nordmann" in response.content
    assert b"Utl\xc3\xa4ndsk Kund" not in response.content


def test_foreign_agreement_change_page_is_not_reachable(client, staff_no, two_tenants):
    own, foreign = two_tenants
    client.force_login(staff_no)
    url = reverse("admin:agreements_consumeragreement_change", args=[foreign.pk])
    assert client.get(url).status_code == 302  # admin redirects a missing object to the index
    assert (
        client.get(reverse("admin:agreements_consumeragreement_change", args=[own.pk])).status_code
        == 200
    )


def test_changelist_query_count_is_bounded(
    client, staff_no, company_no, main_branch, django_assert_max_num_queries
):
    for n in range(20):
        make_agreement(
            customer=make_customer(company=company_no, number=f"5{n:04d}"), branch=main_branch
        )
    client.force_login(staff_no)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:agreements_consumeragreement_changelist"))
    assert response.status_code == 200


def test_admin_action_marks_deleted_through_the_service(client, staff_no, two_tenants):
    own, _foreign = two_tenants
    client.force_login(staff_no)
    client.post(
        reverse("admin:agreements_consumeragreement_changelist"),
        {"action": "mark_deleted", "_selected_action": [own.pk]},
    )
    own.refresh_from_db()
    assert own.status == "DELETED"
    event = own.events.last()
    assert (event.source, event.actor) == ("user", staff_no)


def test_agreements_cannot_be_added_or_deleted_in_admin(client, staff_no, two_tenants):
    own, _foreign = two_tenants
    client.force_login(staff_no)
    assert client.get(reverse("admin:agreements_consumeragreement_add")).status_code == 403
    assert (
        client.get(reverse("admin:agreements_consumeragreement_delete", args=[own.pk])).status_code
        == 403
    )
