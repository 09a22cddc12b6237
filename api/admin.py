"""API keys in the Django admin: read-only (no secret is stored), revoked through the service."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.admin_mixins import TenantScopedAdmin

from .models import ApiKey
from .services import ApiKeyError, revoke_api_key


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    list_display = [
        "name",
        "company",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["company", "created_by"]
    search_fields = ["name", "=prefix", "company__name"]
    readonly_fields = [
        "company",
        "name",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    exclude = ["hashed_key"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        # Keys are created on Settings → API keys, where the key is shown once.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoked keys stay on record: who made the requests that used them.
        return False

    @admin.action(description=_("Revoke selected API keys"), permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset:
            try:
                revoke_api_key(api_key=api_key, acting_user=request.user)
            except ApiKeyError as exc:
                self.message_user(request, f"{api_key}: {exc.message}", messages.ERROR)
