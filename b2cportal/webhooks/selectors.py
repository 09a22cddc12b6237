"""Reads of webhooks, always scoped to one company."""

from __future__ import annotations

from django.db.models import QuerySet

from b2cportal.companies.models import Company

from .models import WebhookEndpoint, WebhookMessage


def endpoints_of(*, company: Company) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company=company).order_by("id")


def messages_of(*, company: Company) -> QuerySet[WebhookMessage]:
    return WebhookMessage.objects.filter(company=company).select_related("endpoint")
