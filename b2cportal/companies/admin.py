"""Django admin for companies, branches, memberships and the per-company/branch settings.

Staff see only rows of companies they are members of (TenantScopedAdmin); superusers see all.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .admin_mixins import TenantScopedAdmin
from .models import (
    AutoInvoiceSettings,
    Branch,
    Company,
    CustomerLedgerPreferences,
    Membership,
    NorwayB2CActivation,
    OperatorConnection,
    SettingsChange,
    SwedenB2CActivation,
    SwedenReceivingAccount,
)


class BranchInline(admin.TabularInline):
    model = Branch
    extra = 0
    fields = ["branch_id", "name", "is_main_office", "city"]
    show_change_link = True


@admin.register(Company)
class CompanyAdmin(TenantScopedAdmin):
    list_display = ["name", "country", "organisation_number", "currency", "city", "updated_at"]
    list_filter = ["country", "currency", "f_tax_approved"]
    search_fields = ["name", "=organisation_number", "=vat_number"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [BranchInline]

    def has_add_permission(self, request):
        """A company's staff administer their own company; only superusers create companies."""
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        # The company is the tenant itself: scope by its own memberships.
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(memberships__user=request.user)


@admin.register(Branch)
class BranchAdmin(TenantScopedAdmin):
    list_display = ["branch_id", "name", "company", "is_main_office", "city", "rf1301_contact_name"]
    list_filter = ["is_main_office", "company__country"]
    list_select_related = ["company"]
    search_fields = ["branch_id", "name", "company__name", "rf1301_contact_name"]
    fieldsets = [
        (None, {"fields": ["company", "branch_id", "name", "is_main_office"]}),
        (_("Address"), {"fields": ["address_line1", "postcode", "city"]}),
        (
            _("Altinn settings (RF-1301)"),
            {"fields": ["rf1301_contact_name", "rf1301_contact_phone", "rf1301_contact_email"]},
        ),
    ]


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "company", "role"]
    list_filter = ["role", "company__country"]
    list_select_related = ["user", "company"]
    search_fields = ["user__username", "user__email", "company__name"]
    raw_id_fields = ["user"]


@admin.register(AutoInvoiceSettings)
class AutoInvoiceSettingsAdmin(TenantScopedAdmin):
    company_path = "branch__company"
    list_display = [
        "branch",
        "company_name",
        "consumer_einvoice_service",
        "endpoint",
        "fallback_order",
        "prevent_routing_through_inexchange",
        "updated_at",
    ]
    list_filter = ["consumer_einvoice_service", "endpoint", "fallback_order"]
    list_select_related = ["branch__company"]
    search_fields = ["branch__name", "branch__branch_id", "branch__company__name"]
    readonly_fields = ["updated_at"]

    @admin.display(description=_("company"), ordering="branch__company__name")
    def company_name(self, obj):
        return obj.branch.company.name


class _ActivationAdmin(TenantScopedAdmin):
    """Activations move only through the activation flow (settings screen + network).

    Company staff may look but not touch: setting a status here would skip the terms
    acceptance or the register check. Superusers (our support) may still change an existing
    row, e.g. to switch on agreement capture, which the seed says only support can do.
    """

    company_path = "branch__company"
    list_select_related = ["branch__company"]
    search_fields = ["branch__name", "branch__branch_id", "branch__company__name"]
    list_filter = ["status"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("company"), ordering="branch__company__name")
    def company_name(self, obj):
        return obj.branch.company.name


@admin.register(NorwayB2CActivation)
class NorwayB2CActivationAdmin(_ActivationAdmin):
    list_display = [
        "branch",
        "company_name",
        "status",
        "signer_name",
        "terms_sent_at",
        "terms_accepted_at",
        "activated_at",
        "use_agreement_capture",
    ]
    readonly_fields = [
        "terms_nonce",
        "terms_sent_at",
        "terms_accepted_at",
        "expected_active_on",
        "activated_at",
        "deactivated_at",
        "network_reference",
        "updated_at",
    ]


class ReceivingAccountInline(admin.TabularInline):
    model = SwedenReceivingAccount
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False  # added on the B2CSE screen, which checks the 99-per-FUI limit

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SwedenB2CActivation)
class SwedenB2CActivationAdmin(_ActivationAdmin):
    list_display = [
        "branch",
        "company_name",
        "status",
        "account_type",
        "account_display",
        "fui",
        "activated_at",
    ]
    readonly_fields = [
        "submitted_at",
        "activated_at",
        "onboarding_url",
        "network_reference",
        "updated_at",
    ]
    inlines = [ReceivingAccountInline]

    @admin.display(description=_("account number"), ordering="account_number")
    def account_display(self, obj):
        return obj.formatted_account_number


@admin.register(SwedenReceivingAccount)
class SwedenReceivingAccountAdmin(TenantScopedAdmin):
    company_path = "activation__branch__company"
    list_display = ["account_display", "account_type", "activation", "created_at"]
    list_filter = ["account_type"]
    list_select_related = ["activation__branch__company"]
    search_fields = ["account_number", "activation__fui"]
    readonly_fields = ["created_at"]

    @admin.display(description=_("account number"), ordering="account_number")
    def account_display(self, obj):
        return obj.formatted_account_number

    def has_add_permission(self, request):
        return False  # added on the B2CSE screen, which checks the 99-per-FUI limit

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "activation" and not request.user.is_superuser:
            field.queryset = field.queryset.filter(branch__company__memberships__user=request.user)
        return field


@admin.register(CustomerLedgerPreferences)
class CustomerLedgerPreferencesAdmin(TenantScopedAdmin):
    list_display = [
        "company",
        "consumer_route_anyway",
        "display_warning_message",
        "send_agreement_current_branch_only",
        "mobile_phone_field",
        "kid_algorithm",
        "kid_length",
    ]
    list_filter = ["consumer_route_anyway", "mobile_phone_field", "kid_algorithm"]
    list_select_related = ["company"]
    search_fields = ["company__name"]
    readonly_fields = ["updated_at"]


@admin.register(SettingsChange)
class SettingsChangeAdmin(TenantScopedAdmin):
    """The audit trail: readable, never editable."""

    list_display = ["created_at", "company", "branch", "actor", "action"]
    list_filter = ["action", "company__country"]
    list_select_related = ["company", "branch", "actor"]
    search_fields = ["action", "company__name", "actor__username"]
    date_hierarchy = "created_at"
    readonly_fields = ["company", "branch", "actor", "action", "data", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OperatorConnection)
class OperatorConnectionAdmin(TenantScopedAdmin):
    """Read-only: the key is set on Settings -> Operator connection (encrypted, never shown)."""

    list_display = ["company", "environment", "company_uuid", "last_test_ok", "last_tested_at"]
    list_filter = ["environment", "company__country"]
    list_select_related = ["company"]
    search_fields = ["company__name", "company_uuid"]
    fields = [
        "company",
        "environment",
        "company_uuid",
        "last_tested_at",
        "last_test_ok",
        "last_test_message",
        "updated_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
