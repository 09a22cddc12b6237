from __future__ import annotations

from typing import cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.models import Branch, Company

from .models import (
    NETWORK_BY_COUNTRY,
    SOURCES_BY_COUNTRY,
    STATUSES_BY_COUNTRY,
    AgreementNetwork,
    AgreementSource,
    AgreementStatus,
)
from .selectors import SupportFilters


class SupportFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Customer number, name, phone, email or exact national ID"),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *AgreementStatus.choices]
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"), required=False, queryset=Branch.objects.none(), empty_label=_("All")
    )
    network = forms.ChoiceField(
        label=_("Network"), required=False, choices=[("", _("All")), *AgreementNetwork.choices]
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All")), *AgreementSource.choices]
    )
    wanted_without_active = forms.BooleanField(
        label=_("E-invoice wanted but no active agreement"), required=False
    )

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["branch"]).queryset = Branch.objects.filter(
            company=company
        )
        # Only what exists in the company's country: statuses and sources of its own network.
        country = company.country if company.country in STATUSES_BY_COUNTRY else "NO"
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            ("", _("All")),
            *((s.value, s.label) for s in STATUSES_BY_COUNTRY[country]),
        ]
        cast(forms.ChoiceField, self.fields["source"]).choices = [
            ("", _("All")),
            *((s.value, s.label) for s in SOURCES_BY_COUNTRY[country]),
        ]
        cast(forms.ChoiceField, self.fields["network"]).choices = [
            ("", _("All")),
            (NETWORK_BY_COUNTRY[country].value, NETWORK_BY_COUNTRY[country].label),
        ]
        norwegian = country == "NO"
        if not norwegian:
            # "Wants e-invoice" is Norway's customer flag; Sweden has no such request flow.
            del self.fields["wanted_without_active"]
        self.helper = FormHelper()
        # POST-redirect-GET: a national ID searched for never lands in a URL.
        self.helper.form_method = "post"
        self.helper.attrs = {"data-testid": "agreement-filters"}
        self.helper.layout = Layout(
            Row(
                Column("q", css_class="col-md-4"),
                Column("status", css_class="col-md-2"),
                Column("branch", css_class="col-md-2"),
                Column("network", css_class="col-md-2"),
                Column("source", css_class="col-md-2"),
            ),
            *([Row(Column("wanted_without_active", css_class="col-md-6"))] if norwegian else []),
            Submit("filter", _("Filter"), css_class="btn-primary"),
        )

    def to_filters(self) -> SupportFilters:
        if not self.is_valid():
            return SupportFilters()
        data = self.cleaned_data
        return SupportFilters(
            q=data["q"],
            status=data["status"],
            branch=data["branch"].pk if data["branch"] else None,
            network=data["network"],
            source=data["source"],
            wanted_without_active=data.get("wanted_without_active", False),
        )
