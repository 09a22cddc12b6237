"""Outbound webhooks per company: endpoints, the message outbox and every delivery attempt.

Messages are written in the caller's transaction (`services.emit`) and sent after commit by a
worker, never inside a transaction; the database, not the broker, holds what is due, so a lost
task is found again by the periodic dispatcher.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.models import Company


class EventType(models.TextChoices):
    DELIVERY_SENT = "delivery.sent", _("Delivery sent")
    DELIVERY_DELIVERED = "delivery.delivered", _("Delivery delivered")
    DELIVERY_FAILED = "delivery.failed", _("Delivery failed")
    DELIVERY_REROUTED = "delivery.rerouted", _("Delivery re-routed")
    DELIVERY_HELD = "delivery.held", _("Delivery held for agreement")
    DELIVERY_RELEASED = "delivery.released", _("Delivery released from hold")
    AGREEMENT_STATUS_CHANGED = "agreement.status_changed", _("Agreement status changed")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookEndpoint(models.Model):
    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("company"),
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Needed in clear to sign (HMAC); shown to administrators so the receiver can verify.
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["company", "id"]
        indexes = [
            models.Index(fields=["company", "is_active"], name="webhook_endpoint_active_idx")
        ]

    def __str__(self) -> str:
        return self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:endpoint", args=[self.pk])


class WebhookMessage(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("endpoint"),
    )
    # The webhook-id header: the receiver's idempotency key; the same on every retry.
    msg_id = models.CharField(_("message id"), max_length=40, unique=True)
    event_type = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # Who pressed *Resend*; recorded on the attempt that follows.
    resend_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("webhook message")
        verbose_name_plural = _("webhook messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_message_due_idx"),
            models.Index(fields=["company", "-created_at"], name="webhook_message_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id}"

    def get_absolute_url(self) -> str:
        return reverse("webhooks:message", args=[self.pk])


class WebhookAttempt(models.Model):
    message = models.ForeignKey(
        WebhookMessage, on_delete=models.CASCADE, related_name="attempts_made"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    attempted_at = models.DateTimeField(_("when"), auto_now_add=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    response_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_body = models.CharField(_("response"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["message", "number"]

    def __str__(self) -> str:
        return f"{self.message_id}#{self.number}"
