"""Forms for invoice drafts, their lines, credit notes and the list filters."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.urls import reverse_lazy
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.models import Branch, Company
from b2cportal.companies.wording import sent_to_operator
from b2cportal.customers.models import Customer
from b2cportal.validators import validate_xml_text

from .calc import MAX_AMOUNT, STANDARD_RATES, line_amount, totals_problem
from .models import DeliveryStatus, InvoiceKind, InvoiceStatus, Unit, VatCategory
from .services import LineInput, vat_problem
from .vat import vat_label

# Limits of the screens, stated on them. An invoice typed on the form has at most
# MAX_FORM_LINES lines (8 fields each: within DATA_UPLOAD_MAX_NUMBER_FIELDS); the credit-note
# page lists one quantity per line for invoices of up to MAX_CREDIT_PAGE_LINES lines (larger
# invoices, which only come in through import, are credited in full there).
MAX_FORM_LINES = 500
MAX_CREDIT_PAGE_LINES = 9_000

OFFERED_CATEGORIES = [
    (VatCategory.STANDARD.value, VatCategory.STANDARD.label),
    (VatCategory.ZERO.value, VatCategory.ZERO.label),
    (VatCategory.EXEMPT.value, VatCategory.EXEMPT.label),
]


def _rate_choices(country: str) -> list[tuple[str, str]]:
    """Each rate with its name in the user's language ("15 % - Reduced rate (foodstuffs)")."""
    choices = [
        (f"{rate:.2f}", f"{rate:g} % - {vat_label(country, VatCategory.STANDARD, rate)}")
        for rate in STANDARD_RATES.get(country, (Decimal("25"),))
    ]
    return [*choices, ("0.00", "0 %")]


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
        cast(forms.ModelChoiceField, self.fields["customer"]).queryset = Customer.objects.filter(
            company=company, is_active=True
        )

    def clean(self):
        super().clean()
        data = self.cleaned_data
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

    def __init__(
        self,
        *args,
        country: str = "NO",
        vat_registered: bool = True,
        shared_fields: dict | None = None,
        **kwargs,
    ):
        self.country = country
        self.vat_registered = vat_registered
        if shared_fields is not None:
            # A formset of hundreds of lines shares one configured set of (stateless) fields
            # instead of deep-copying eight fields, their widgets and translated choices per
            # line, which was most of the time of a 500-line page.
            self.base_fields = {}  # type: ignore[misc]  # per instance, see above
            super().__init__(*args, **kwargs)
            self.fields = dict(shared_fields)
            return
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["vat_rate"]).choices = _rate_choices(country)
        self.fields["vat_rate"].initial = "25.00"
        if not vat_registered:
            # A seller outside the VAT register charges no VAT: one category, no rate.
            outside = VatCategory.OUTSIDE_SCOPE
            cast(forms.ChoiceField, self.fields["vat_category"]).choices = [
                (outside.value, outside.label)
            ]
            self.fields["vat_category"].initial = outside.value
            cast(forms.ChoiceField, self.fields["vat_rate"]).choices = [("0.00", "0 %")]
            self.fields["vat_rate"].initial = "0.00"

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if {"vat_category", "vat_rate"} <= data.keys():
            problem = vat_problem(
                country=self.country,
                category=data["vat_category"],
                rate=data["vat_rate"],
                reason=data.get("exemption_reason", ""),
                vat_registered=self.vat_registered,
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
    def __init__(self, *args, country: str = "NO", vat_registered: bool = True, **kwargs):
        self.country = country
        self.vat_registered = vat_registered
        super().__init__(*args, **kwargs)

    @cached_property
    def _shared_fields(self) -> dict:
        return InvoiceLineForm(country=self.country, vat_registered=self.vat_registered).fields

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["country"] = self.country
        kwargs["vat_registered"] = self.vat_registered
        kwargs["shared_fields"] = self._shared_fields
        return kwargs

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            country=self.country,
            vat_registered=self.vat_registered,
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
            if form.cleaned_data and not self._should_delete_form(form)  # type: ignore[attr-defined]
        ]


LineFormSet = cast(
    "type[BaseLineFormSet]",
    forms.formset_factory(
        InvoiceLineForm,
        formset=BaseLineFormSet,
        extra=0,
        min_num=1,
        validate_min=True,
        can_delete=True,
        max_num=MAX_FORM_LINES,
        validate_max=True,
        absolute_max=MAX_FORM_LINES,
    ),
)


_QUANTITY_FIELD = forms.DecimalField(
    min_value=Decimal("0"), max_digits=12, decimal_places=3, required=False
)


class CreditNoteForm(forms.Form):
    """One quantity per original line, bounded by what remains uncredited.

    The quantities are plain inputs named `qty_<line id>`, checked here in one pass, not one
    Django field per line: the page must stay fast for invoices with thousands of lines.
    """

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
            value = self.data.get(name, "") if self.is_bound else format(left.normalize(), "f")
            self.line_rows.append(
                {"line": line, "left": left, "name": name, "value": value, "error": ""}
            )
        self._quantities: dict[int, Decimal] = {}

    def quantities(self) -> dict[int, Decimal]:
        return dict(self._quantities)

    def line_errors(self) -> dict[str, str]:
        """`qty_<line id>` -> the error shown on that line."""
        return {row["name"]: row["error"] for row in self.line_rows if row["error"]}

    def clean(self):
        super().clean()
        data = self.cleaned_data
        bad = 0
        for row in self.line_rows:
            raw = (row["value"] or "").strip().replace(",", ".")
            try:
                quantity = _QUANTITY_FIELD.clean(raw) or Decimal("0")
            except ValidationError as exc:
                row["error"] = " ".join(exc.messages)
                bad += 1
                continue
            if quantity > row["left"]:
                row["error"] = _("At most %(left)s remains uncredited.") % {
                    "left": format(row["left"].normalize(), "f")
                }
                bad += 1
                continue
            self._quantities[row["line"].pk] = quantity
        if bad:
            raise forms.ValidationError(
                _("Check the quantities of %(count)s line(s)."), params={"count": bad}
            )
        if self.line_rows and not any(q > 0 for q in self._quantities.values()):
            raise forms.ValidationError(_("Choose at least one line to credit."))
        return data


class InvoiceFilterForm(forms.Form):
    # invoices.selectors.invoice_search: each of these is an index look-up.
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Number, payment reference or customer")}),
    )
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
        label=_("Branch"),
        required=False,
        queryset=Branch.objects.none(),
        empty_label=_("All branches"),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["customer"]).queryset = Customer.objects.filter(
            company=company
        )
        branches = Branch.objects.filter(company=company).order_by("branch_id")
        branch_field = cast(forms.ModelChoiceField, self.fields["branch"])
        branch_field.queryset = branches
        # A plain list: the field's own iterator would open a server-side cursor per render.
        branch_field.choices = [("", branch_field.empty_label)] + [
            (branch.pk, str(branch)) for branch in branches
        ]
        # Rendered field by field in the list template (cheaper than crispy on the busiest
        # screen): Bootstrap's classes here, `is-invalid` added by full_clean.
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css
        cast(forms.ChoiceField, self.fields["delivery_status"]).choices = [
            ("", _("All")),
            *(
                (
                    value,
                    sent_to_operator(company)
                    if value == DeliveryStatus.SENT_TO_AUTOINVOICE
                    else label,
                )
                for value, label in DeliveryStatus.choices
            ),
        ]

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return data
