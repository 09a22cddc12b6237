"""Authentication, scopes, error format and languages, throttling, schema and docs."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from api.models import ApiKey
from api.services import revoke_api_key
from b2cportal.companies.models import Membership

from .conftest import api_client, make_key

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


def test_a_key_acts_as_its_company_and_creator(no_api, company_no, admin_no):
    response = no_api.get(ME)
    assert response.status_code == 200
    assert response.json()["company"] == company_no.name
    assert response.json()["acting_user"] == admin_no.get_username()
    assert response.json()["scopes"] == ["read", "write", "send"]


def test_the_key_is_stored_hashed(no_key):
    api_key, raw = no_key
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert raw not in (stored.hashed_key, stored.prefix)
    assert raw.split(".")[1] not in stored.hashed_key
    assert stored.hashed_key.startswith("sha512$$")


@pytest.mark.parametrize(
    "header",
    [None, "Api-Key", "Api-Key nonsense", "Api-Key abc.def", "Bearer x", "Api-Key {prefix}.wrong"],
)
def test_missing_or_wrong_keys_are_401(no_key, header):
    client = api_client()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header.format(prefix=no_key[0].prefix))
    response = client.get(ME)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401
    assert body["errors"][0]["message"]
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_revoked_key_is_refused(no_key, admin_no):
    revoke_api_key(api_key=no_key[0], acting_user=admin_no)
    assert api_client(no_key[1]).get(ME).status_code == 401


def test_a_key_stops_when_its_creator_leaves_or_is_deactivated(no_key, admin_no, company_no):
    Membership.objects.filter(user=admin_no, company=company_no).delete()
    assert api_client(no_key[1]).get(ME).status_code == 401
    Membership.objects.create(user=admin_no, company=company_no, role="administrator")
    assert api_client(no_key[1]).get(ME).status_code == 200
    get_user_model().objects.filter(pk=admin_no.pk).update(is_active=False)
    assert api_client(no_key[1]).get(ME).status_code == 401
    get_user_model().objects.filter(pk=admin_no.pk).delete()
    assert api_client(no_key[1]).get(ME).status_code == 401


def test_last_used_is_recorded(no_key, no_api):
    assert no_key[0].last_used_at is None
    no_api.get(ME)
    no_key[0].refresh_from_db()
    assert no_key[0].last_used_at is not None


@pytest.mark.parametrize(
    ("language", "word"),
    [("en", "not valid"), ("nb", "ikke gyldig"), ("sv", "inte giltig")],
)
def test_errors_are_in_the_requested_language(no_key, language, word):
    client = api_client(language=language)
    client.credentials(HTTP_AUTHORIZATION="Api-Key abc.def", HTTP_ACCEPT_LANGUAGE=language)
    response = client.get(ME)
    assert response.status_code == 401
    assert word in response.json()["detail"]
    assert response["Content-Language"] == language


def test_throttled_per_key(settings, company_no, admin_no):
    settings.API_THROTTLE_RATE = "3/minute"
    first = api_client(make_key(company_no, admin_no, name="one")[1])
    second = api_client(make_key(company_no, admin_no, name="two")[1])
    assert [first.get(ME).status_code for _ in range(4)] == [200, 200, 200, 429]
    response = first.get(ME)
    assert response.status_code == 429
    assert response.json()["status"] == 429
    assert "Retry-After" in response
    # Another key has its own budget.
    assert second.get(ME).status_code == 200


def test_schema_is_valid_openapi(client):
    import yaml
    from openapi_spec_validator import validate

    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    assert schema["components"]["securitySchemes"]["ApiKey"]["name"] == "Authorization"
    me = schema["paths"]["/api/v1/me/"]["get"]
    assert {p["name"] for p in me["parameters"]} >= {"Accept-Language"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "post":
                names = {p["name"] for p in operation["parameters"]}
                assert "Idempotency-Key" in names, path


def test_docs_are_served_from_our_own_static_files(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html  # no inline script: works under a strict CSP
    assert "cdn" not in html.lower()
    assert "https://" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    script = client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


@pytest.mark.parametrize("language", ["en", "nb", "sv"])
def test_unknown_api_paths_are_json_404(no_key, language):
    client = api_client(no_key[1], language)
    for path in ("/api/v1/invoices/abc/", "/api/v1/nothing-here/", "/api/v1/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert response["Content-Language"] == language


def test_schema_generates_without_warnings(tmp_path):
    """drf-spectacular's own check: every operation's types are known (no guessed schemas)."""
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3")
