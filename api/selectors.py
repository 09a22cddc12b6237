"""Reads of the api app, scoped to one company."""

from __future__ import annotations

from django.db.models import QuerySet

from b2cportal.companies.models import Company

from .models import ApiKey


def api_keys_of(*, company: Company) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(company=company).select_related("created_by", "revoked_by")
