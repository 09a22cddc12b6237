from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.admin_mixins import TenantScopedAdmin

from . import services
from .models import BulkSend, Delivery, DeliveryEvent, DeliveryStatus


class DeliveryEventInline(admin.TabularInline):
    model = DeliveryEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "from_status", "to_status", "note", "actor"]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(TenantScopedAdmin):
    list_display = [
        "invoice",
        "company",
        "branch",
        "channel",
        "status",
        "billing_action",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "channel", "billing_action"]
    list_select_related = ["invoice", "company", "branch"]
    search_fields = ["=invoice__number", "=external_id", "invoice__customer__name"]
    raw_id_fields = ["invoice", "bulk_send", "created_by"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [DeliveryEventInline]
    date_hierarchy = "created_at"
    actions = ["reconcile"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Poll the transport for the selected deliveries"))
    def reconcile(self, request, queryset):
        for delivery in queryset.filter(
            status__in=[DeliveryStatus.UNKNOWN, DeliveryStatus.CLAIMED, DeliveryStatus.SENT]
        ):
            services.reconcile(delivery=delivery, acting_user=request.user)


@admin.register(BulkSend)
class BulkSendAdmin(TenantScopedAdmin):
    list_display = ["created_at", "company", "branch", "total", "created_by"]
    list_select_related = ["company", "branch", "created_by"]
    readonly_fields = [f.name for f in BulkSend._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
