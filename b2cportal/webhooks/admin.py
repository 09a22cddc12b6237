from django.contrib import admin

from b2cportal.companies.admin_mixins import TenantScopedAdmin

from .models import WebhookEndpoint, WebhookMessage


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantScopedAdmin):
    list_display = ["url", "company", "is_active", "created_at"]
    list_select_related = ["company"]
    readonly_fields = ["company", "url", "created_by", "created_at"]
    exclude = ["secret"]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookMessage)
class WebhookMessageAdmin(TenantScopedAdmin):
    list_display = ["msg_id", "event_type", "company", "status", "attempts", "created_at"]
    list_filter = ["status", "event_type"]
    list_select_related = ["company"]
    readonly_fields = [f.name for f in WebhookMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
