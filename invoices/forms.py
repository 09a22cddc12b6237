"""Forms for invoice drafts, their lines, credit notes and the list filters."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.models import Branch, Company
from b2cportal.customers.models import Customer
from b2cportal.validators import validate_xml_text

from .calc import MAX_AMOUNT, STANDARD_RATES, line_amount, totals_problem
from .models import DeliveryStatus, InvoiceKind, InvoiceStatus, Unit, VatCategory
from .services import LineInput, vat_problem

OFFERED_CATEGORIES = [
    (VatCategory.STANDARD.value, VatCategory.STANDARD.label),
    (VatCategory.ZERO.value, VatCategory.ZERO.label),
    (VatCategory.EXEMPT.value, VatCategory.EXEMPT.label),
]


def _rate_choices(country: str) -> list[tuple[str, str]]:
    rates = [*STANDARD_RATES.get(country, (Decimal("25"),)), Decimal("0")]
    return [(f"{rate:.2f}", f"{rate:g} %") for rate in rates]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CustomerPicker(forms.TextInput):
    """A text input for a customer number with a <datalist> filled by `customer_picker.js`."""

    template_name = "invoices/widgets/customer_picker.html"

    def __init__(self, attrs=None):
        base = {
            "autocomplete": "off",
            "inputmode": "search",
            "data-customer-search": reverse_lazy("invoices:customer_search"),
            "data-testid": "customer-number",
        }
        super().__init__({**base, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["list"] = f"{widget_attrs.get('id') or name}-options"
        return context


class CustomerNumberField(forms.CharField):
    """A customer typed by number (autocomplete offers matches); cleans to that Customer.

    Replaces a <select> of every customer, which does not scale to 100,000 customers. The
    queryset is set per request to the current company's customers, so a foreign number is
    "not found" exactly like a number that does not exist.
    """

    default_error_messages = {
        "unknown": _("No customer with number %(number)s in this company."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", CustomerPicker())
        super().__init__(**kwargs)
        self.queryset = Customer.objects.none()

    def prepare_value(self, value):
        return value.number if isinstance(value, Customer) else value

    def to_python(self, value):
        if isinstance(value, Customer):
            return value
        return super().to_python(value)

    def clean(self, value):
        value = super().clean(value)
        if isinstance(value, Customer) or not value:
            return value or None
        # A picked datalist entry is the number; someone may also paste "number name".
        candidates = [value, value.split()[0]]
        found = {c.number: c for c in self.queryset.filter(number__in=candidates)}
        for candidate in candidates:
            if candidate in found:
                return found[candidate]
        raise ValidationError(
            self.error_messages["unknown"], code="unknown", params={"number": value}
        )


class InvoiceHeaderForm(forms.Form):
    customer = CustomerNumberField(
        label=_("Customer"), help_text=_("Type a customer number or name and pick a match.")
    )
    issue_date = forms.DateField(label=_("Date"), widget=DateInput())
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    buyer_reference = forms.CharField(
        label=_("Customer ref. nbr."),
        max_length=100,
        required=False,
        validators=[validate_xml_text],
    )
    note = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[validate_xml_text],
    )

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(company=company, is_active=True)

    def clean(self):
        data = super().clean()
        issue, due = data.get("issue_date"), data.get("due_date")
        if issue and due and due < issue:
            self.add_error("due_date", _("The due date cannot be before the invoice date."))
        return data


class InvoiceLineForm(forms.Form):
    description = forms.CharField(
        label=_("Description"), max_length=500, validators=[validate_xml_text]
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=12,
        decimal_places=3,
        initial=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    unit = forms.ChoiceField(label=_("UOM"), choices=Unit.choices, initial=Unit.EACH)
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    vat_category = forms.ChoiceField(
        label=_("VAT category"), choices=OFFERED_CATEGORIES, initial=VatCategory.STANDARD
    )
    vat_rate = forms.TypedChoiceField(label=_("VAT rate"), coerce=Decimal, choices=())
    exemption_reason = forms.CharField(
        label=_("Exemption reason"), max_length=300, required=False, validators=[validate_xml_text]
    )

    def __init__(self, *args, country: str = "NO", **kwargs):
        super().__init__(*args, **kwargs)
        self.country = country
        self.fields["vat_rate"].choices = _rate_choices(country)
        self.fields["vat_rate"].initial = "25.00"

    def clean(self):
        data = super().clean()
        if {"vat_category", "vat_rate"} <= data.keys():
            problem = vat_problem(
                country=self.country,
                category=data["vat_category"],
                rate=data["vat_rate"],
                reason=data.get("exemption_reason", ""),
            )
            if problem:
                field = "exemption_reason" if data["vat_category"] == "E" else "vat_rate"
                self.add_error(field, problem)
        quantity, price = data.get("quantity"), data.get("unit_price")
        if quantity is not None and price is not None and line_amount(quantity, price) > MAX_AMOUNT:
            self.add_error(
                "unit_price",
                _("Quantity times price must not exceed %(max)s.")
                % {"max": f"{MAX_AMOUNT:,}".replace(",", " ")},
            )
        return data

    def to_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            description=data["description"],
            quantity=data["quantity"],
            unit=data["unit"],
            unit_price=data["unit_price"],
            vat_category=data["vat_category"],
            vat_rate=data["vat_rate"],
            exemption_reason=data.get("exemption_reason", ""),
        )


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, country: str = "NO", **kwargs):
        self.country = country
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["country"] = self.country
        return kwargs

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            country=self.country,
        )
        self.add_fields(form, None)
        return form

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        problem = totals_problem(self.line_inputs())
        if problem:
            raise forms.ValidationError(problem)

    def line_inputs(self) -> list[LineInput]:
        return [
            form.to_input()
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]


LineFormSet = forms.formset_factory(
    InvoiceLineForm,
    formset=BaseLineFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    can_delete=True,
    max_num=500,
)


class CreditNoteForm(forms.Form):
    """One quantity field per original line, bounded by what remains uncredited."""

    note = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[validate_xml_text],
    )

    def __init__(self, *args, lines, remaining: dict[int, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        self.line_rows = []
        for line in lines:
            left = remaining.get(line.pk, Decimal("0"))
            name = f"qty_{line.pk}"
            self.fields[name] = forms.DecimalField(
                label=line.description,
                required=False,
                min_value=Decimal("0"),
                max_value=left,
                max_digits=12,
                decimal_places=3,
                initial=left,
            )
            self.line_rows.append((line, left, name))

    def quantities(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data.get(name) or Decimal("0")
            for line, _left, name in self.line_rows
        }

    def clean(self):
        data = super().clean()
        if self.line_rows and not any(
            (data.get(name) or 0) > 0 for _line, _left, name in self.line_rows
        ):
            raise forms.ValidationError(_("Choose at least one line to credit."))
        return data


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *InvoiceStatus.choices]
    )
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All")), *InvoiceKind.choices]
    )
    delivery_status = forms.ChoiceField(
        label=_("Delivery status"),
        required=False,
        choices=[("", _("All")), *DeliveryStatus.choices],
    )
    customer = CustomerNumberField(label=_("Customer"), required=False)
    branch = forms.ModelChoiceField(
        label=_("Branch"), required=False, queryset=Branch.objects.none()
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(company=company)
        self.fields["branch"].queryset = Branch.objects.filter(company=company)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return data
