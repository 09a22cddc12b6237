from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.models import InvoiceKind

if TYPE_CHECKING:
    from b2cportal.companies.models import Branch


class BulkFilterForm(forms.Form):
    """Filter for *Send several invoices or credit notes to AutoInvoice*."""

    branch: forms.ModelChoiceField[Branch] = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Branch"), empty_label=_("All branches")
    )
    date_from = forms.DateField(
        required=False, label=_("From date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("To date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    customer = forms.CharField(required=False, max_length=100, label=_("Customer (number or name)"))
    kind = forms.ChoiceField(
        required=False,
        label=_("Type"),
        choices=[("", _("Invoices and credit notes")), *InvoiceKind.choices],
    )

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["branch"]).queryset = branches
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_tag = True
        self.helper.layout = Layout(
            Row(
                Column("branch"),
                Column("date_from"),
                Column("date_to"),
                Column("customer"),
                Column("kind"),
            ),
            Submit("filter", _("Show invoices"), css_class="btn-secondary"),
        )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The to date must be on or after the from date."))
        return data


class BillingReportForm(forms.Form):
    month = forms.CharField(
        label=_("Month"), widget=forms.TextInput(attrs={"type": "month"}), required=False
    )
    branch: forms.ModelChoiceField[Branch] = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Branch"), empty_label=_("All branches")
    )

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["branch"]).queryset = branches
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Row(Column("month"), Column("branch")),
            Submit("show", _("Show report"), css_class="btn-secondary"),
        )

    def clean_month(self) -> datetime.date:
        raw = self.cleaned_data.get("month") or ""
        if not raw:
            today = timezone.localdate()
            return today.replace(day=1)
        try:
            return datetime.datetime.strptime(raw, "%Y-%m").date()  # noqa: DTZ007
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from exc
