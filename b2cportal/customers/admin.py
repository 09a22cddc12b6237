from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from agreements.services import handle_customer_saved
from b2cportal.companies.admin_mixins import TenantScopedAdmin
from b2cportal.companies.forms import XmlTextMixin
from b2cportal.companies.models import Country

from .models import Customer
from .services import (
    CREATE_EINVOICE_REFUSAL,
    EDITABLE_FIELDS,
    CustomerError,
    create_customer,
    update_customer,
    validate_customer,
)


class CustomerAdminForm(XmlTextMixin, forms.ModelForm):
    country = forms.ChoiceField(label=_("country"), choices=Country.choices)

    class Meta:
        model = Customer
        fields = ["company", *EDITABLE_FIELDS]

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # Django's hook, absent from the stubs
        if self.errors or self.instance.company_id is None:
            return
        # The same rules as the customer screen: canonical identifiers, unique number, e-invoice.
        if self.instance.pk is None and self.instance.einvoice_norway:
            self.add_error("einvoice_norway", CREATE_EINVOICE_REFUSAL)
            return
        try:
            validate_customer(customer=self.instance)
        except CustomerError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    form = CustomerAdminForm
    company_path = "company"
    # Saves go through create_customer/update_customer, which record the change themselves.
    audited_by_service = True
    list_display = [
        "number",
        "name",
        "company",
        "kind",
        "country",
        "delivery_method",
        "einvoice_norway",
        "is_active",
        "updated_at",
    ]
    list_filter = [
        "kind",
        "country",
        "delivery_method",
        "einvoice_norway",
        "is_active",
        # Only companies present in the (scoped) rows: staff never see foreign names here.
        ("company", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["company"]
    # No national-ID search here: the admin searches by GET, and query strings end up in access
    # logs. The Customers screen searches by national ID through a POST (search_stash).
    search_fields = [
        "=number",
        "name",
        "email",
        "=organisation_number",
        "=phone_1",
        "=phone_2",
    ]
    raw_id_fields = ["company"]
    readonly_fields = ["created_at", "updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": ["company", "number", "name", "kind", "is_active"]}),
        (_("Identifiers"), {"fields": ["national_id", "organisation_number", "vat_number"]}),
        (
            _("Address"),
            {"fields": ["address_line1", "address_line2", "postcode", "city", "country"]},
        ),
        (
            _("Invoicing settings"),
            {
                "fields": [
                    "email",
                    "phone_1",
                    "phone_2",
                    "language",
                    "delivery_method",
                    "einvoice_norway",
                ]
            },
        ),
        (_("Audit"), {"fields": ["created_at", "updated_at", "updated_by"]}),
    ]

    def save_model(self, request, obj, form, change):
        # Writes go through the services, like every other write.
        data = {name: getattr(obj, name) for name in EDITABLE_FIELDS}
        if change:
            saved = update_customer(customer=obj, acting_user=request.user, data=data)
        else:
            saved = create_customer(company=obj.company, acting_user=request.user, data=data)
        obj.pk = saved.pk
        # As on the customer screen: turning e-invoice (Norway) on sends the agreement request.
        # The admin has no current branch, so the company's preference decides (None).
        sent = handle_customer_saved(customer=saved, acting_user=request.user, current_branch=None)
        for agreement_request in sent:
            self.message_user(
                request,
                (
                    _("E-invoice agreement request sent by %(channel)s to %(recipient)s.")
                    if agreement_request.status == "sent"
                    # Requests leave after the save commits: say queued until they are sent.
                    else _(
                        "E-invoice agreement request by %(channel)s to %(recipient)s is queued "
                        "for sending."
                    )
                )
                % {
                    "channel": agreement_request.get_channel_display(),
                    "recipient": agreement_request.recipient,
                },
            )
