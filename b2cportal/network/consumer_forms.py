"""Forms of the simulated consumer pages (online bank, FMI onboarding, directory, OCR payment)."""

from __future__ import annotations

import re
from decimal import Decimal

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer, kontonr
from stdnum.se import personnummer

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
    try:
        personnummer.validate(value)
    except StdnumError as exc:
        raise forms.ValidationError(_("Enter a valid Swedish personal identity number.")) from exc
    digits = re.sub(r"\D", "", value)
    if len(digits) == 12:
        return digits
    birth = personnummer.get_birth_date(value)
    return f"{birth.year // 100}{digits}"


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
        value = re.sub(r"\D", "", self.cleaned_data["national_id"])
        if value and not fodselsnummer.is_valid(value):
            raise forms.ValidationError(_("Enter a valid Norwegian national identity number."))
        return value

    def clean_mobile(self) -> str:
        value = self.cleaned_data["mobile"].strip()
        if not value:
            return ""
        try:
            number = phonenumbers.parse(value, "NO")
        except phonenumbers.NumberParseException as exc:
            raise forms.ValidationError(_("Enter a valid mobile number.")) from exc
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("Enter a valid mobile number."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean_blocked_issuers_text(self) -> list[str]:
        raw = self.cleaned_data["blocked_issuers_text"]
        numbers = [re.sub(r"\D", "", part) for part in raw.split(",") if part.strip()]
        if any(len(n) != 9 for n in numbers):
            raise forms.ValidationError(_("Each organisation number has 9 digits."))
        return numbers

    def clean(self):
        data = super().clean()
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
        value = re.sub(r"\D", "", self.cleaned_data["account"])
        if not kontonr.is_valid(value) or len(value) != 11:
            raise forms.ValidationError(_("Enter a valid 11-digit Norwegian account number."))
        return value

    def clean_kid(self) -> str:
        value = self.cleaned_data["kid"].strip().replace(" ", "")
        if not re.fullmatch(r"\d{2,24}[\d-]", value):
            raise forms.ValidationError(_("A KID consists of digits (the last may be '-')."))
        return value
