"""Settings → Webhooks: administrators only; add, pause, rotate, attempts, Resend; tenancy."""

from __future__ import annotations

import pytest
from django.urls import reverse

from b2cportal.webhooks import services
from b2cportal.webhooks.models import MessageStatus, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db
LIST = reverse("webhooks:list")


def _message(endpoint, status=MessageStatus.FAILED):
    return WebhookMessage.objects.create(
        company=endpoint.company,
        endpoint=endpoint,
        msg_id=f"msg_{endpoint.pk}_{WebhookMessage.objects.count()}",
        event_type="delivery.failed",
        payload={"type": "delivery.failed", "data": {"reason": "no address"}},
        status=status,
        attempts=8,
    )


def test_administrator_adds_an_endpoint_and_sees_its_secret(client, company_no, admin_no):
    client.force_login(admin_no)
    response = client.post(LIST, {"url": "https://erp.example/hooks", "description": "ERP"})
    endpoint = WebhookEndpoint.objects.get(company=company_no)
    assert response["Location"] == endpoint.get_absolute_url()
    page = client.get(endpoint.get_absolute_url())
    assert endpoint.secret.encode() in page.content
    assert endpoint.secret.startswith("whsec_")


def test_plain_http_is_refused_in_production(client, company_no, admin_no, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    client.force_login(admin_no)
    response = client.post(LIST, {"url": "http://erp.example/hooks"})
    assert response.status_code == 400
    assert b"https://" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_bad_url_is_a_field_error(client, company_no, admin_no):
    client.force_login(admin_no)
    response = client.post(LIST, {"url": "not a url"})
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", ["accountant_no", "support_no"])
def test_only_administrators(client, company_no, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {"url": "https://erp.example/hooks"}).status_code == 403


def test_pause_rotate_and_resend(client, company_no, admin_no, django_capture_on_commit_callbacks):
    endpoint = services.create_endpoint(
        company=company_no, url="http://127.0.0.1:9/closed", acting_user=admin_no
    )
    message = _message(endpoint)
    client.force_login(admin_no)
    old = endpoint.secret
    client.post(reverse("webhooks:endpoint_rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    page = client.get(reverse("webhooks:message", args=[message.pk]))
    assert b'data-testid="message-resend"' in page.content
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("webhooks:message_resend", args=[message.pk]))
    assert response.status_code == 302
    assert len(callbacks) == 1  # the send is queued for after the commit, not done in it
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert message.resend_by == admin_no
    client.post(reverse("webhooks:endpoint_toggle", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    response = client.post(reverse("webhooks:message_resend", args=[message.pk]), follow=True)
    assert b"paused" in response.content


def test_a_norwegian_endpoint_is_404_for_a_swedish_administrator(
    client, company_no, admin_no, admin_se
):
    endpoint = services.create_endpoint(
        company=company_no, url="https://hemmelig.example/h", acting_user=admin_no
    )
    message = _message(endpoint)
    client.force_login(admin_se)
    assert b"hemmelig" not in client.get(LIST).content
    for name, pk in (("webhooks:endpoint", endpoint.pk), ("webhooks:message", message.pk)):
        assert client.get(reverse(name, args=[pk])).status_code == 404
    assert client.post(reverse("webhooks:message_resend", args=[message.pk])).status_code == 404
