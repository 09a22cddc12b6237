"""Browser (Swedish): Settings → Webhooks — add an endpoint (a bad URL first), see the secret,
open a failed message with its attempts and press Resend."""

from __future__ import annotations

import pytest

from b2cportal.webhooks.models import (
    MessageStatus,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)

pytestmark = pytest.mark.browser


def _swedish(page, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "sv", "url": live_server.url}])


def test_add_endpoint_then_resend_a_failed_message(page, login, live_server, company_se, admin_se):
    _swedish(page, live_server)
    login(admin_se)
    page.goto("/settings/")
    page.click("[data-testid=nav-webhooks]")
    page.fill("input[name=url]", "inte en adress")
    page.click("[data-testid=webhook-form] button[type=submit]")
    assert page.locator(".invalid-feedback").count() >= 1
    assert not WebhookEndpoint.objects.exists()

    page.fill("input[name=url]", "http://127.0.0.1:9/hooks")
    page.fill("input[name=description]", "Affärssystem")
    page.click("[data-testid=webhook-form] button[type=submit]")
    page.wait_for_selector("[data-testid=endpoint-secret]")
    endpoint = WebhookEndpoint.objects.get(company=company_se)
    assert page.text_content("[data-testid=endpoint-secret]") == endpoint.secret

    message = WebhookMessage.objects.create(
        company=company_se,
        endpoint=endpoint,
        msg_id="msg_browser",
        event_type="delivery.failed",
        payload={"type": "delivery.failed", "data": {"reason": "ingen adress"}},
        status=MessageStatus.FAILED,
        attempts=1,
    )
    WebhookAttempt.objects.create(message=message, number=1, response_status=503, error="HTTP 503")
    page.goto("/settings/webhooks/")
    page.click("[data-testid=webhook-message] a")
    assert page.locator("[data-testid=message-attempt]").count() == 1
    assert "Misslyckades" in page.text_content("[data-testid=message-status]")
    page.click("[data-testid=message-resend]")
    page.wait_for_selector(".alert")
    assert "Meddelandet skickas igen" in page.text_content("body")
    message.refresh_from_db()
    # Sent again after the commit: nothing listens on port 9, so a second attempt is recorded.
    assert message.attempts_made.count() == 2
    assert message.attempts_made.get(number=2).resent_by == admin_se
