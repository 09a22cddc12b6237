"""Admin for invoices: drafts editable, released documents read-only and never deleted."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin

from b2cportal.companies.admin_mixins import TenantScopedAdmin
from b2cportal.companies.forms import XmlTextMixin

from . import selectors
from .calc import totals_problem
from .models import Invoice, InvoiceLine, InvoiceNumberSequence
from .services import LineInput

_FROZEN_DOCUMENT = ("document_snapshot", "document_xml")


def _released(obj) -> bool:
    return obj is not None and obj.is_released


class InvoiceLineAdminForm(XmlTextMixin, forms.ModelForm):
    class Meta:
        model = InvoiceLine
        fields = [
            "position",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "vat_category",
            "vat_rate",
            "exemption_reason",
        ]


class InvoiceLineAdminFormSet(forms.BaseInlineFormSet):
    """As on the invoice screen: no line amount or total beyond what the database holds."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        lines = [
            LineInput(
                description=form.cleaned_data.get("description", ""),
                quantity=form.cleaned_data["quantity"],
                unit_price=form.cleaned_data["unit_price"],
                vat_category=form.cleaned_data.get("vat_category", "S"),
                vat_rate=form.cleaned_data.get("vat_rate") or Decimal(0),
            )
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("quantity") is not None
            and form.cleaned_data.get("unit_price") is not None
        ]
        problem = totals_problem(lines)
        if problem:
            raise forms.ValidationError(problem)


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    form = InvoiceLineAdminForm
    formset = InvoiceLineAdminFormSet
    extra = 0
    fields = (
        "position",
        "description",
        "quantity",
        "unit",
        "unit_price",
        "vat_category",
        "vat_rate",
        "exemption_reason",
        "line_total",
    )
    readonly_fields = ("line_total",)

    def has_add_permission(self, request, obj=None):
        return not _released(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _released(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _released(obj) and super().has_delete_permission(request, obj)


class InvoiceAdminForm(XmlTextMixin, forms.ModelForm):
    """Header texts end up in the UBL document: XML-illegal characters are refused."""

    class Meta:
        model = Invoice
        fields = [
            "company",
            "branch",
            "customer",
            "kind",
            "credited_invoice",
            "issue_date",
            "due_date",
            "currency",
            "buyer_reference",
            "note",
        ]


@admin.register(Invoice)
class InvoiceAdmin(TenantScopedAdmin):
    form = InvoiceAdminForm
    company_path = "company"
    list_display = (
        "number",
        "kind",
        "status",
        "company",
        "customer",
        "issue_date",
        "total_incl_vat",
        "delivery_status",
    )
    list_filter = ("status", "kind", "delivery_status")
    # Searched like the list screen, through indexes (get_search_results below).
    search_fields = ("number",)
    list_select_related = ("company", "customer")
    inlines = [InvoiceLineInline]
    readonly_fields = (
        "number",
        "status",
        "total_excl_vat",
        "total_vat",
        "total_incl_vat",
        "payment_reference",
        "document_uuid",
        "released_at",
        "released_by",
        "delivery_status",
        "delivery_status_detail",
        "delivery_status_until",
    )

    def get_readonly_fields(self, request, obj=None):
        if _released(obj):
            return [f.name for f in self.model._meta.fields if f.name not in _FROZEN_DOCUMENT]
        return self.readonly_fields

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(selectors.invoice_search(company=None, q=search_term)), False

    def get_queryset(self, request):
        # The frozen document can be large; the admin never shows it (download it instead).
        return super().get_queryset(request).defer(*_FROZEN_DOCUMENT)

    def has_change_permission(self, request, obj=None):
        # Released documents can be viewed (view permission) but never changed.
        return not _released(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _released(obj) and super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Totals are computed, never typed: recompute after the lines were saved.
        from .services import recompute_totals

        if not form.instance.is_released:
            recompute_totals(invoice=form.instance, acting_user=request.user)

    def get_actions(self, request):
        # Bulk delete would bypass the per-object check.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(InvoiceNumberSequence)
class InvoiceNumberSequenceAdmin(TenantScopedAdmin):
    company_path = "company"
    list_display = ("company", "prefix", "next_number")
    readonly_fields = ("next_number",)

    def has_delete_permission(self, request, obj=None):
        return False
