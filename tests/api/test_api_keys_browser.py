"""Settings → API keys in a real browser: a bad input, create (shown once), revoke."""

import pytest
from playwright.sync_api import expect

from api.models import ApiKey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_show_once_and_revoke(page, login, admin_no, company_no):
    login(admin_no)
    page.goto("/settings/")
    with page.expect_navigation():
        page.click("[data-testid=nav-api_keys]")
    # Bad input: no scope chosen.
    page.fill("#id_name", "ERP production")
    page.uncheck("input[name=scopes][value=read]")
    with page.expect_navigation():
        page.click("[data-testid=create-key]")
    expect(page.locator("[data-testid=api-key-form]")).to_contain_text("Choose at least one")
    assert not ApiKey.objects.exists()

    page.check("input[name=scopes][value=read]")
    page.check("input[name=scopes][value=send]")
    with page.expect_navigation():
        page.click("[data-testid=create-key]")
    raw = page.locator("[data-testid=new-key-value]").inner_text().strip()
    api_key = ApiKey.objects.get()
    assert raw.startswith(api_key.prefix + ".")
    assert api_key.scopes == ["read", "send"]
    expect(page.locator("[data-testid=api-key-row]")).to_contain_text("ERP production")

    # Shown once: reloading the list does not show it again.
    page.goto("/settings/api-keys/")
    assert page.locator("[data-testid=new-key]").count() == 0
    assert raw not in page.content()

    with page.expect_navigation():
        page.click("[data-testid=revoke]")
    expect(page.locator("[data-testid=revoke-confirm]")).to_contain_text("ERP production")
    with page.expect_navigation():
        page.click("[data-testid=revoke-confirm-button]")
    expect(page.locator("[data-testid=revoked]")).to_be_visible()
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


def test_docs_render_from_local_assets(page, live_server):
    """Swagger UI starts with only our own static files (no request leaves the server)."""
    foreign = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else foreign.append(request.url)
        ),
    )
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .title")).to_contain_text("b2cportal API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert foreign == []
    assert refused == []  # runs under the site's Content-Security-Policy
