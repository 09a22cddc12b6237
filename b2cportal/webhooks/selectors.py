"""Reads of webhooks, always scoped to one company."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from b2cportal.companies.models import Company

from .models import WebhookEndpoint, WebhookMessage


def endpoints_of(*, company: Company) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company=company).order_by("id")


def messages_of(*, company: Company) -> QuerySet[WebhookMessage]:
    return WebhookMessage.objects.filter(company=company).select_related("endpoint")


def is_listening(company_ref: str) -> Exists:
    """True when the company named by the outer query's `company_ref` has an active endpoint:
    a caller loading a row for a write learns in the same query whether to emit at all."""
    return Exists(WebhookEndpoint.objects.filter(company=OuterRef(company_ref), is_active=True))
