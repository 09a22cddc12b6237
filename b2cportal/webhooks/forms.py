from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from b2cportal.validators import first_xml_illegal

from .services import allow_plain_http


class EndpointForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        scheme = urlsplit(url).scheme
        if scheme != "https" and not (scheme == "http" and allow_plain_http()):
            raise forms.ValidationError(_("Use an https:// address."))
        return url

    def clean_description(self) -> str:
        value = self.cleaned_data["description"]
        if first_xml_illegal(value):
            raise forms.ValidationError(_("This text contains a character that cannot be stored."))
        return value
