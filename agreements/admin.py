from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.admin_mixins import TenantScopedAdmin
from b2cportal.identifiers import mask_agreement_reference

from . import services
from .models import AgreementEvent, AgreementRequest, ConsumerAgreement


class AgreementEventInline(admin.TabularInline):
    model = AgreementEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "source", "actor", "external_event_id"]
    readonly_fields = fields  # type: ignore[assignment]  # every field, all plain names

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ConsumerAgreement)
class ConsumerAgreementAdmin(TenantScopedAdmin):
    company_path = "branch__company"
    list_display = [
        "customer",
        "branch",
        "network",
        "status",
        "source",
        "masked_reference",
        "last_updated",
    ]
    list_filter = ["status", "network", "source"]
    list_select_related = ["customer", "branch"]
    # No national-ID search here: the admin searches by GET, and query strings end up in access
    # logs. The Agreements screen searches by national ID through a POST (search_stash).
    search_fields = ["=customer__number", "customer__name"]
    raw_id_fields = ["customer", "branch"]
    readonly_fields = [
        "customer",
        "branch",
        "network",
        "status",
        "reference",
        "source",
        "last_updated",
    ]
    inlines = [AgreementEventInline]
    actions = ["mark_deleted"]

    @admin.display(description=_("reference"), ordering="reference")
    def masked_reference(self, obj):
        return mask_agreement_reference(obj.reference)

    def has_add_permission(self, request):
        # Agreements come from requests and network events, never typed in.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Mark selected agreements as deleted"), permissions=["change"])
    def mark_deleted(self, request, queryset):
        for agreement in queryset.select_related("customer"):
            try:
                services.mark_agreement_deleted(agreement=agreement, acting_user=request.user)
            except services.AgreementError as exc:
                self.message_user(request, f"{agreement}: {exc}", level="warning")


@admin.register(AgreementEvent)
class AgreementEventAdmin(TenantScopedAdmin):
    company_path = "agreement__branch__company"
    list_display = ["agreement", "from_status", "to_status", "source", "actor", "created_at"]
    list_filter = ["to_status", "source"]
    list_select_related = ["agreement__customer", "agreement__branch", "actor"]
    search_fields = ["=external_event_id", "=agreement__customer__number"]
    readonly_fields = [f.name for f in AgreementEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AgreementRequest)
class AgreementRequestAdmin(TenantScopedAdmin):
    company_path = "agreement__branch__company"
    list_display = ["agreement", "channel", "recipient", "status", "created_at", "sent_at"]
    list_filter = ["channel", "status"]
    list_select_related = ["agreement__customer", "agreement__branch"]
    search_fields = ["=agreement__customer__number", "recipient"]
    readonly_fields = [f.name for f in AgreementRequest._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
