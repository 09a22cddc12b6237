from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from b2cportal.validators import validate_xml_text

from .models import Scope


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        validators=[validate_xml_text],
        help_text=_("Which system uses the key, e.g. “ERP production”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        help_text=_(
            "Read: customers, invoices, statuses, reports. Write: create and change customers "
            "and invoices, release and credit. Send: send invoices."
        ),
        error_messages={"required": _("Choose at least one of read, write and send.")},
    )
