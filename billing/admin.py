from django.contrib import admin

from b2cportal.companies.admin_mixins import TenantScopedAdmin

from .models import InvoiceBatch


@admin.register(InvoiceBatch)
class InvoiceBatchAdmin(TenantScopedAdmin):
    list_display = ["id", "company", "source", "format", "total", "created_at", "finished_at"]
    list_filter = ["source", "format"]
    list_select_related = ["company"]
    readonly_fields = [f.name for f in InvoiceBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
