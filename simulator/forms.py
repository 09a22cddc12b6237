"""Forms of the simulated consumer pages (online bank, FMI onboarding, directory, OCR payment)."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from b2cportal.identifiers import (
    clean_bban,
    clean_norwegian_national_id,
    clean_phone_number,
    clean_swedish_personal_number,
)

from .models import EFakturaReceiver

SWEDISH_BANKS = [
    ("NB", "Nordea"),
    ("FSPA", "Swedbank"),
    ("SHB", "Handelsbanken"),
    ("OEB", "Danske Bank"),
    ("ESSE", "SEB"),
]


def canonical_ssn(value: str) -> str:
    """Swedish personnummer/samordningsnummer as 12 digits (YYYYMMDDNNNN)."""
    return clean_swedish_personal_number(value)


class FmiJoinForm(forms.Form):
    ssn = forms.CharField(label=_("Personal identity number"), max_length=13)
    bank_id = forms.ChoiceField(label=_("Your bank"), choices=SWEDISH_BANKS)

    def clean_ssn(self) -> str:
        return canonical_ssn(self.cleaned_data["ssn"])


class FmiLookupForm(forms.Form):
    ssn = forms.CharField(label=_("Personal identity number"), max_length=13)

    def clean_ssn(self) -> str:
        return canonical_ssn(self.cleaned_data["ssn"])


class EFakturaReceiverForm(forms.ModelForm):
    blocked_issuers_text = forms.CharField(
        label=_("Blocked issuers"),
        required=False,
        help_text=_("Organisation numbers, separated by commas."),
    )

    class Meta:
        model = EFakturaReceiver
        fields = ["national_id", "name", "mobile", "email", "postcode", "always_efaktura"]

    def clean_national_id(self) -> str:
        value = self.cleaned_data["national_id"].strip()
        return clean_norwegian_national_id(value) if value else ""

    def clean_mobile(self) -> str:
        value = self.cleaned_data["mobile"].strip()
        return clean_phone_number(value, "NO") if value else ""

    def clean_blocked_issuers_text(self) -> list[str]:
        raw = self.cleaned_data["blocked_issuers_text"]
        numbers = [re.sub(r"\D", "", part) for part in raw.split(",") if part.strip()]
        if any(len(n) != 9 for n in numbers):
            raise forms.ValidationError(_("Each organisation number has 9 digits."))
        return numbers

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not (data.get("national_id") or data.get("mobile") or data.get("email")):
            raise forms.ValidationError(
                _("Give a national identity number, a mobile number or an email address.")
            )
        return data

    def save(self, commit: bool = True) -> EFakturaReceiver:
        self.instance.blocked_issuers = self.cleaned_data["blocked_issuers_text"]
        return super().save(commit=commit)


class OcrPaymentForm(forms.Form):
    account = forms.CharField(label=_("To account (BBAN)"), max_length=14)
    kid = forms.CharField(label=_("KID"), max_length=25)
    amount = forms.DecimalField(
        label=_("Amount (NOK)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    payer_name = forms.CharField(label=_("Payer"), max_length=200)

    def clean_account(self) -> str:
        return clean_bban(self.cleaned_data["account"])

    def clean_kid(self) -> str:
        value = self.cleaned_data["kid"].strip().replace(" ", "")
        if not re.fullmatch(r"\d{2,24}[\d-]", value):
            raise forms.ValidationError(_("A KID consists of digits (the last may be '-')."))
        return value
