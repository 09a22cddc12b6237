"""Customer forms: the AR303000 tabs, and the list's search and filters."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from b2cportal import identifiers
from b2cportal.companies.forms import XmlTextMixin
from b2cportal.companies.models import Country
from b2cportal.companies.wording import send_to_operator

from .models import Customer, CustomerKind, DeliveryMethod

GENERAL_FIELDS = [
    "number",
    "name",
    "kind",
    "national_id",
    "organisation_number",
    "vat_number",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "country",
    "is_active",
]
INVOICING_FIELDS = [
    "email",
    "phone_1",
    "phone_2",
    "language",
    "delivery_method",
    "einvoice_norway",
]


class CustomerForm(XmlTextMixin, forms.ModelForm):
    """Create/edit a customer. Checks input per field; the service checks the business rules."""

    country = forms.ChoiceField(label=_("Country"), choices=Country.choices)

    class Meta:
        model = Customer
        fields = GENERAL_FIELDS + INVOICING_FIELDS
        help_texts = {
            "national_id": _(
                "Sweden: personnummer or samordningsnummer, 10 or 12 digits. "
                "Norway: fødselsnummer or D-number, 11 digits."
            ),
            "einvoice_norway": _(
                "Needs country Norway, postcode and city, and an invoice contact email or a "
                "mobile number."
            ),
            "vat_number": _(
                "Businesses: NO, the organisation number and MVA (Norway); SE, the organisation "
                "number and 01 (Sweden); other EU countries with their prefix."
            ),
            "organisation_number": _(
                "Sweden: a sole trader's organisation number is their personnummer; such a "
                "business receives e-invoices in its online bank, Billo or Kivra like a consumer."
            ),
        }

    def __init__(
        self,
        *args: Any,
        mobile_field: str = "phone_2",
        company_country: str = Country.NORWAY,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mobile_field = mobile_field
        if self.instance.pk is None or company_country != Country.NORWAY:
            # The ERP offers the e-invoice option only once the customer has been saved, and
            # eFaktura exists only for Norwegian companies.
            del self.fields["einvoice_norway"]
        cast(forms.ChoiceField, self.fields["delivery_method"]).choices = delivery_method_choices(
            company_country
        )
        self.fields[mobile_field].help_text = _("Used as the mobile number for SMS.")
        for name in ("national_id", "organisation_number", "postcode", "phone_1", "phone_2"):
            # People type separators and spaces ("19811218-9876", "+47 912 34 567"); the
            # stored canonical form is short, so the raw input may be longer than the column.
            field = cast(forms.CharField, self.fields[name])
            field.max_length = 30
            field.validators = [
                v for v in field.validators if not isinstance(v, MaxLengthValidator)
            ]
            field.widget.attrs.update({"maxlength": "30", "autocomplete": "off"})

    def _clean_by_country(self, field: str, cleaner) -> None:
        value = (self.cleaned_data.get(field) or "").strip()
        country = self.cleaned_data.get("country")
        if not value or not country:
            self.cleaned_data[field] = value
            return
        try:
            self.cleaned_data[field] = cleaner(value, country)
        except ValidationError as exc:
            self.add_error(field, exc)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self._clean_by_country("national_id", identifiers.clean_national_id)
        self._clean_by_country("organisation_number", identifiers.clean_organisation_number)
        # The buyer's VAT number goes into every UBL document: checked here (python-stdnum),
        # not first when an invoice is released.
        self._clean_by_country("vat_number", identifiers.clean_vat_number)
        self._clean_by_country("postcode", identifiers.clean_postcode)
        self._clean_by_country("phone_1", identifiers.clean_phone_number)
        self._clean_by_country("phone_2", identifiers.clean_phone_number)
        if (
            cleaned.get("kind") == CustomerKind.BUSINESS
            and not cleaned.get("organisation_number")
            and "organisation_number" not in self.errors
        ):
            self.add_error(
                "organisation_number", _("Enter the organisation number of the business.")
            )
        return cleaned

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}

    def tabs(self) -> list[dict[str, Any]]:
        """The two tabs with their bound fields; the first tab with an error opens first."""
        tabs = []
        for tab_id, label, names in (
            ("general", _("General"), GENERAL_FIELDS),
            ("invoicing", _("Invoicing settings"), INVOICING_FIELDS),
        ):
            fields = [self[name] for name in names if name in self.fields]
            tabs.append(
                {
                    "id": tab_id,
                    "label": label,
                    "fields": fields,
                    "error_count": sum(1 for f in fields if f.errors),
                    "active": False,
                }
            )
        active = next((t for t in tabs if t["error_count"]), tabs[0])
        active["active"] = True
        return tabs


YES_NO = [("", _("All")), ("yes", _("Yes")), ("no", _("No"))]


def delivery_method_choices(company_country: str) -> list[tuple[str, Any]]:
    """Delivery methods named after the company's operator (AutoInvoice / Maventa)."""
    return [
        (value, send_to_operator(company_country) if value == DeliveryMethod.AUTOINVOICE else label)
        for value, label in DeliveryMethod.choices
    ]


class CustomerFilterForm(XmlTextMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("Number, name, email, phone or national ID")}
        ),
    )
    kind = forms.ChoiceField(
        label=_("customer type"), required=False, choices=[("", _("All")), *CustomerKind.choices]
    )
    country = forms.ChoiceField(
        label=_("country"), required=False, choices=[("", _("All")), *Country.choices]
    )
    delivery_method = forms.ChoiceField(
        label=_("delivery method"),
        required=False,
        choices=[("", _("All")), *DeliveryMethod.choices],
    )
    einvoice_norway = forms.ChoiceField(
        label=_("e-Invoice (Norway)"), required=False, choices=YES_NO
    )
    active = forms.ChoiceField(label=_("active"), required=False, choices=YES_NO)

    @staticmethod
    def _yes_no(value: str) -> bool | None:
        return {"yes": True, "no": False}.get(value)

    def __init__(self, *args: Any, company_country: str = Country.NORWAY, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if company_country != Country.NORWAY:
            del self.fields["einvoice_norway"]
        cast(forms.ChoiceField, self.fields["delivery_method"]).choices = [
            ("", _("All")),
            *delivery_method_choices(company_country),
        ]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = css

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `search_customers`; invalid filter values are ignored."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "query": data["q"],
            "kind": data["kind"],
            "country": data["country"],
            "delivery_method": data["delivery_method"],
            "einvoice_norway": self._yes_no(data.get("einvoice_norway", "")),
            "is_active": self._yes_no(data["active"]),
        }
