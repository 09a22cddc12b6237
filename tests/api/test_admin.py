"""API keys in the Django admin: read-only, scoped to the staff member's companies, revoke."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from api.models import ApiKey
from tests.factories import make_staff

from .conftest import make_key

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:api_apikey_changelist")


@pytest.fixture
def staff_no(company_no):
    user = make_staff(company=company_no, username="staff_no")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="api"))
    return user


def test_staff_see_their_companys_keys_only_and_never_the_hash(
    client, staff_no, company_no, admin_no, company_se, admin_se
):
    mine, _raw = make_key(company_no, admin_no, name="Norsk ERP")
    make_key(company_se, admin_se, name="Svenskt ERP")
    client.force_login(staff_no)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert b"Norsk ERP" in page.content
    assert b"Svenskt ERP" not in page.content
    detail = client.get(reverse("admin:api_apikey_change", args=[mine.pk]))
    assert detail.status_code == 200
    assert mine.hashed_key.encode() not in detail.content
    assert client.get(reverse("admin:api_apikey_add")).status_code == 403


def test_revoke_action_goes_through_the_service(client, staff_no, company_no, admin_no):
    api_key, _raw = make_key(company_no, admin_no)
    client.force_login(staff_no)  # an administrator of the company
    response = client.post(
        CHANGELIST, {"action": "revoke", "_selected_action": [api_key.pk]}, follow=True
    )
    assert response.status_code == 200
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key.revoked_by == staff_no
    assert ApiKey.objects.count() == 1
