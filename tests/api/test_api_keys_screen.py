"""Settings → API keys: only administrators; create (shown once), bad input, revoke."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.models import ApiKey
from api.services import ApiKeyError, create_api_key, revoke_api_key

from .conftest import api_client, make_key

pytestmark = pytest.mark.django_db
LIST = reverse("api_keys:list")


def test_administrator_creates_a_key_shown_once(client, admin_no, company_no):
    client.force_login(admin_no)
    response = client.post(LIST, {"name": "ERP production", "scopes": ["read", "send"]})
    assert response.status_code == 200
    raw = response.context["new_key"]
    assert raw
    assert raw.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get(company=company_no)
    assert (api_key.name, api_key.scopes, api_key.created_by) == (
        "ERP production",
        ["read", "send"],
        admin_no,
    )
    # The list shows the prefix only, never the key again.
    again = client.get(LIST)
    assert api_key.prefix.encode() in again.content
    assert raw.encode() not in again.content
    assert api_client(raw).get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "ERP", "scopes": []}, "scopes"),
        ({"name": "ERP", "scopes": ["admin"]}, "scopes"),
        ({"name": "ERP\x01", "scopes": ["read"]}, "name"),
    ],
)
def test_bad_input_is_shown_on_the_field(client, admin_no, data, field):
    client.force_login(admin_no)
    response = client.post(LIST, data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert response.context["new_key"] is None
    assert not ApiKey.objects.exists()


def test_revoke(client, admin_no, company_no):
    api_key, raw = make_key(company_no, admin_no)
    client.force_login(admin_no)
    confirm = client.get(reverse("api_keys:revoke", args=[api_key.pk]))
    assert confirm.status_code == 200
    assert b"cannot be undone" in confirm.content
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    response = client.post(reverse("api_keys:revoke", args=[api_key.pk]))
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key.revoked_by == admin_no
    assert api_client(raw).get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("role", ["accountant_no", "support_no"])
def test_only_administrators(client, request, company_no, admin_no, role):
    user = request.getfixturevalue(role)
    api_key, _raw = make_key(company_no, admin_no)
    client.force_login(user)
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {"name": "x", "scopes": ["read"]}).status_code == 403
    assert client.post(reverse("api_keys:revoke", args=[api_key.pk])).status_code == 403
    assert client.get(reverse("api_keys:revoke", args=[api_key.pk])).status_code == 403
    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get().revoked_at is None
    # Services refuse non-administrators too, whoever calls them.
    with pytest.raises(ApiKeyError):
        create_api_key(company=company_no, acting_user=user, name="x", scopes=["read"])
    with pytest.raises(ApiKeyError):
        revoke_api_key(api_key=api_key, acting_user=user)


def test_settings_navigation_links_the_screen_for_administrators_only(
    client, admin_no, accountant_no
):
    client.force_login(admin_no)
    page = client.get(reverse("companies:ledger")).content.decode()
    assert f'href="{LIST}"' in page
    client.force_login(accountant_no)
    page = client.get(reverse("companies:ledger")).content.decode()
    assert f'href="{LIST}"' not in page


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_companys_key_cannot_be_revoked(client, admin_se, company_no, admin_no):
    api_key, _raw = make_key(company_no, admin_no)
    client.force_login(admin_se)
    assert client.post(reverse("api_keys:revoke", args=[api_key.pk])).status_code == 404
    assert company_no.name.encode() not in client.get(LIST).content


def test_command_creates_a_key(company_no, admin_no, accountant_no):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command(
        "create_api_key", company_no.organisation_number, user=admin_no.username, stdout=out
    )
    raw = out.getvalue().strip()
    assert api_client(raw).get("/api/v1/me/").status_code == 200
    with pytest.raises(CommandError, match="administrators"):
        call_command("create_api_key", company_no.organisation_number, user=accountant_no.username)
