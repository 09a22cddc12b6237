"""Django admin for companies, branches, memberships and the per-company/branch settings.

Staff see only rows of companies they are members of, as their role allows (TenantScopedAdmin);
superusers see all. The forms are the screens' forms, so the admin validates as they do.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from b2cportal import identifiers
from b2cportal.audit.models import AuditEntry

from . import rules
from .admin_mixins import TenantScopedAdmin
from .forms import (
    AutoInvoiceSettingsForm,
    CompanyForm,
    LedgerPreferencesForm,
    XmlTextMixin,
)
from .models import (
    AutoInvoiceSettings,
    Branch,
    Company,
    CustomerLedgerPreferences,
    Membership,
    NorwayB2CActivation,
    OperatorConnection,
    Role,
    SwedenB2CActivation,
    SwedenReceivingAccount,
)


class BranchAdminForm(XmlTextMixin, forms.ModelForm):
    """As the Altinn settings screen: the RF-1301 phone and the postcode per the country."""

    class Meta:
        model = Branch
        fields = [
            "company",
            "branch_id",
            "name",
            "is_main_office",
            "address_line1",
            "postcode",
            "city",
            "rf1301_contact_name",
            "rf1301_contact_phone",
            "rf1301_contact_email",
        ]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        company = cleaned.get("company") or getattr(self.instance, "company", None)
        if company is None:
            return cleaned
        for name, clean in (
            ("postcode", identifiers.clean_postcode),
            ("rf1301_contact_phone", identifiers.clean_phone_number),
        ):
            if cleaned.get(name):
                try:
                    cleaned[name] = clean(cleaned[name], company.country)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned


class BranchInline(admin.TabularInline):
    model = Branch
    form = BranchAdminForm
    extra = 0
    fields = ["branch_id", "name", "is_main_office", "city"]
    show_change_link = True


@admin.register(Company)
class CompanyAdmin(TenantScopedAdmin):
    form = CompanyForm
    company_path = "pk"
    list_display = ["name", "country", "organisation_number", "currency", "city", "updated_at"]
    list_filter = ["country", "currency", "vat_registered", "f_tax_approved"]
    search_fields = ["name", "=organisation_number", "=vat_number"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [BranchInline]

    def has_add_permission(self, request):
        """A company's staff administer their own company; only superusers create companies."""
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Branch)
class BranchAdmin(TenantScopedAdmin):
    form = BranchAdminForm
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


ROLE_RANK = {Role.SUPPORT: 1, Role.ACCOUNTANT: 2, Role.ADMINISTRATOR: 3}


class MembershipAdminForm(forms.ModelForm):
    """Nobody grants a role above their own in that company (superusers grant any)."""

    acting_user = None

    class Meta:
        model = Membership
        fields = ["user", "company", "role"]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        user, company, role = cleaned.get("user"), cleaned.get("company"), cleaned.get("role")
        acting = self.acting_user
        if acting is None or acting.is_superuser or company is None or role is None:
            return cleaned
        own = Membership.objects.filter(user=acting, company=company).first()
        own_rank = ROLE_RANK.get(own.role, 0) if own else 0
        if ROLE_RANK.get(role, 0) > own_rank:
            self.add_error("role", _("You cannot grant a role above your own in this company."))
        if self.instance.pk and ROLE_RANK.get(self.instance.role, 0) > own_rank:
            self.add_error(None, _("You cannot change a membership with a role above your own."))
        if user is not None and user.is_superuser:
            self.add_error("user", _("Only a superuser can change a superuser's memberships."))
        return cleaned


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    form = MembershipAdminForm
    list_display = ["user", "company", "role"]
    list_filter = ["role", "company__country"]
    list_select_related = ["user", "company"]
    search_fields = ["user__username", "user__email", "company__name"]
    raw_id_fields = ["user"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"acting_user": request.user})


@admin.register(AutoInvoiceSettings)
class AutoInvoiceSettingsAdmin(TenantScopedAdmin):
    company_path = "branch__company"
    list_display = [
        "branch",
        "company_name",
        "consumer_einvoice_service",
        "endpoint",
        "fallback_order",
        "is_inexchange_customer",
        "prevent_routing_through_inexchange",
        "updated_at",
    ]
    list_filter = ["consumer_einvoice_service", "endpoint", "fallback_order"]
    list_select_related = ["branch__company"]
    search_fields = ["branch__name", "branch__branch_id", "branch__company__name"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        # One row per branch, created with the branch; the screen and the admin edit it.
        return request.user.is_superuser and super().has_add_permission(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = _bind_form(AutoInvoiceSettingsForm, company=obj.branch.company)
        kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return super().get_fields(request, obj)
        form = self.get_form(request, obj)(instance=obj)
        return [*form.fields, *self.get_readonly_fields(request, obj)]

    @admin.display(description=_("company"), ordering="branch__company__name")
    def company_name(self, obj):
        return obj.branch.company.name


def _bind_form(form_class, **bound_kwargs):
    """The screen's form class with its extra constructor arguments fixed, for the admin."""

    def __init__(self, *args, **kwargs):
        form_class.__init__(self, *args, **bound_kwargs, **kwargs)

    return type(form_class.__name__, (form_class,), {"__init__": __init__})


class NorwayActivationAdminForm(XmlTextMixin, forms.ModelForm):
    """Superusers switch on agreement capture here: the same BBAN and KID rules as the screen."""

    class Meta:
        model = NorwayB2CActivation
        fields = [
            "branch",
            "status",
            "signer_name",
            "signer_email",
            "use_agreement_capture",
            "capture_bban",
            "capture_kid_length",
            "capture_customer_number_start",
            "capture_customer_number_end",
            "pending_submission",
            "error",
        ]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        bban = cleaned.get("capture_bban")
        if bban:
            try:
                cleaned["capture_bban"] = identifiers.clean_bban(bban)
            except ValidationError as exc:
                self.add_error("capture_bban", exc)
        elif cleaned.get("use_agreement_capture"):
            self.add_error(
                "capture_bban", _("Enter the bank account number used for agreement capture.")
            )
        if cleaned.get("use_agreement_capture"):
            for field, message in rules.kid_position_errors(
                length=cleaned.get("capture_kid_length"),
                start=cleaned.get("capture_customer_number_start"),
                end=cleaned.get("capture_customer_number_end"),
                fields=(
                    "capture_kid_length",
                    "capture_customer_number_start",
                    "capture_customer_number_end",
                ),
            ).items():
                self.add_error(field, message)
        return cleaned


class SwedenActivationAdminForm(XmlTextMixin, forms.ModelForm):
    """The same Bankgiro/PlusGiro and FUI rules as the B2CSE screen."""

    class Meta:
        model = SwedenB2CActivation
        fields = [
            "branch",
            "status",
            "account_type",
            "account_number",
            "fui",
            "agreement_id",
            "pending_submission",
            "error",
        ]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        number, account_type = cleaned.get("account_number"), cleaned.get("account_type")
        if number:
            try:
                cleaned["account_number"] = rules.clean_giro_account(account_type or "", number)
            except ValidationError as exc:
                self.add_error("account_number", exc)
        branch = cleaned.get("branch") or getattr(self.instance, "branch", None)
        if branch is not None:
            for field, message in rules.fui_errors(
                fui=(cleaned.get("fui") or "").strip().upper(),
                agreement_id=(cleaned.get("agreement_id") or "").strip(),
                organisation_number=branch.company.organisation_number,
            ).items():
                self.add_error(field, message)
        return cleaned


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
    form = NorwayActivationAdminForm
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
    form = SwedenActivationAdminForm
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

    def has_add_permission(self, request):
        # One row per company, created with it; the screen and the admin edit it.
        return request.user.is_superuser and super().has_add_permission(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return super().get_form(request, obj, change=change, **kwargs)
        multi_branch = obj.company.branches.count() > 1
        kwargs["form"] = _bind_form(LedgerPreferencesForm, multi_branch=multi_branch)
        kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return super().get_fields(request, obj)
        form = self.get_form(request, obj)(instance=obj)
        return [*form.fields, *self.get_readonly_fields(request, obj)]


@admin.register(AuditEntry)
class AuditEntryAdmin(TenantScopedAdmin):
    """The audit trail of every app: readable within the user's companies, never editable.

    Registered here, not in the audit app, because tenant scoping lives in companies and the
    audit app sits below it."""

    list_display = ["created_at", "company", "action", "object_repr", "actor_user", "source"]
    list_filter = ["source", "action", "content_type", "company__country"]
    list_select_related = ["company", "actor_user"]
    search_fields = ["=object_id", "object_repr", "actor_user__username", "actor_label"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

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
    readonly_fields = fields  # type: ignore[assignment]  # every field, all plain names

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
