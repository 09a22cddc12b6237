"""Input checks for the settings and activation screens; every error names its field's rule."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from b2cportal import identifiers
from b2cportal.validators import validate_xml_text

from . import rules
from .models import (
    AutoInvoiceSettings,
    Branch,
    Company,
    ConsumerEInvoiceService,
    CustomerLedgerPreferences,
    GiroType,
    OperatorEnvironment,
)


class XmlTextMixin:
    """Refuses XML-illegal characters in every text field: these values end up in UBL documents.

    Put it first in the bases of any form with free text (the customer forms use it too).
    """

    fields: dict[str, forms.Field]  # the form's, this is mixed into one

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and validate_xml_text not in field.validators:
                field.validators.append(validate_xml_text)


KID_LENGTH_CHOICES_HELP = _("Number of digits in the KID, including the check digit.")


def _add_errors(form: forms.BaseForm, errors: dict[str, str]) -> None:
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


class AutoInvoiceSettingsForm(XmlTextMixin, forms.ModelForm):
    """AutoInvoice settings (CS10250S) for one branch."""

    class Meta:
        model = AutoInvoiceSettings
        fields = [
            "use_printing_services",
            "accept_printing_price_agreement",
            "do_not_send_pdf_by_email",
            "auto_mark_attachments",
            "contact_person",
            "contact_email",
            "contact_phone",
            "consumer_einvoice_service",
            "endpoint",
            "invoice_import_scenario",
            "imported_invoice_vat_setting",
            "invoice_inbox_vat_setting",
            "is_inexchange_customer",
            "prevent_routing_through_inexchange",
            "fallback_order",
        ]

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        own = (
            ConsumerEInvoiceService.AUTOINVOICE_B2C
            if company.is_norwegian
            else ConsumerEInvoiceService.B2CSE
        )
        # Only the service of the company's own country can carry its consumer e-invoices.
        cast(forms.ChoiceField, self.fields["consumer_einvoice_service"]).choices = [
            (ConsumerEInvoiceService.NONE, ConsumerEInvoiceService.NONE.label),
            (own, own.label),
        ]
        # Read-only: it follows the B2C service activation, never what a form posts (a
        # disabled field keeps the stored value whatever the request says).
        service_field = self.fields["consumer_einvoice_service"]
        service_field.disabled = True
        service_field.required = False
        service_field.help_text = (
            _(
                "Follows the B2C service activation: AutoInvoice B2C while the service is "
                "active, None otherwise. Activate or deactivate the service to change it."
            )
            if company.is_norwegian
            else _(
                "Follows the B2CSE activation: B2CSE once the network has completed the "
                "activation, None until then."
            )
        )
        if company.is_norwegian:
            del self.fields["prevent_routing_through_inexchange"]
            del self.fields["is_inexchange_customer"]
        else:
            # Seed 004's note on InExchange customers, in its own terms.
            self.fields["is_inexchange_customer"].help_text = _(
                "Tick this when the company is also a customer of InExchange. Only then does the "
                "next setting matter: for InExchange customers it must be on for the B2C "
                "solution to work."
            )
            # Swedish companies send through Maventa: name it, not Norway's AutoInvoice.
            self.fields["auto_mark_attachments"].label = _(
                "Automatically mark attachments for Maventa"
            )
            self.fields["endpoint"].label = _("Maventa endpoint")
            self.fields["prevent_routing_through_inexchange"].help_text = _(
                "For a company that is also a customer of InExchange: if this setting is not "
                "turned on, all sent invoices are forced through the InExchange connection "
                "without even trying the B2C route. When it is on, Maventa handles internal "
                "traffic, sending to Peppol, email and print in addition to B2C, and the "
                "billing of these actions. Companies that are not InExchange customers are "
                "never forced through InExchange."
            )

    def clean_contact_phone(self) -> str:
        value = self.cleaned_data.get("contact_phone", "")
        if not value:
            return ""
        return identifiers.clean_phone_number(value, self.company.country)


class NorwayActivationForm(XmlTextMixin, forms.Form):
    """The *Activate* dialog: who signs, and optional agreement capture (with OCR)."""

    signer_name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("A person entitled to enter into service agreements on behalf of the company."),
    )
    signer_email = forms.EmailField(label=_("Email"))
    use_agreement_capture = forms.BooleanField(
        label=_("Use agreement capture (with OCR)"),
        required=False,
        help_text=_(
            "Only with an OCR agreement with your bank, for one bank account. It cannot be "
            "switched on later from this screen."
        ),
    )
    capture_bban = forms.CharField(
        label=_("Bank account (BBAN)"),
        required=False,
        max_length=20,
        help_text=_("11 digits, e.g. 1234.56.78903."),
    )
    capture_kid_length = forms.IntegerField(
        label=_("KID length"), initial=12, required=False, help_text=KID_LENGTH_CHOICES_HELP
    )
    capture_customer_number_start = forms.IntegerField(
        label=_("Customer number from position"), initial=1, required=False
    )
    capture_customer_number_end = forms.IntegerField(
        label=_("Customer number to position"), initial=5, required=False
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("use_agreement_capture"):
            return cleaned
        bban = cleaned.get("capture_bban", "")
        if not bban:
            self.add_error(
                "capture_bban", _("Enter the bank account number used for agreement capture.")
            )
        else:
            try:
                cleaned["capture_bban"] = identifiers.clean_bban(bban)
            except ValidationError as exc:
                self.add_error("capture_bban", exc)
        _add_errors(
            self,
            rules.kid_position_errors(
                length=cleaned.get("capture_kid_length"),
                start=cleaned.get("capture_customer_number_start"),
                end=cleaned.get("capture_customer_number_end"),
                fields=(
                    "capture_kid_length",
                    "capture_customer_number_start",
                    "capture_customer_number_end",
                ),
            ),
        )
        return cleaned


def _clean_account_number(form: forms.Form, cleaned: dict) -> None:
    """Check the account number against the chosen type, alongside the form's other errors.

    Without a valid type (its own error is shown) the number is still checked, so a wrong
    check digit is not reported only on the next submit: it must be a valid Bankgiro or PlusGiro.
    """
    number = cleaned.get("account_number")
    if not number:
        return
    account_type = cleaned.get("account_type")
    if account_type:
        try:
            cleaned["account_number"] = rules.clean_giro_account(account_type, number)
        except ValidationError as exc:
            form.add_error("account_number", exc)
        return
    for giro_type in GiroType.values:
        try:
            rules.clean_giro_account(giro_type, number)
        except ValidationError:
            continue
        return
    form.add_error(
        "account_number", _("This is neither a valid Bankgiro nor a valid PlusGiro number.")
    )


class SwedenActivationForm(XmlTextMixin, forms.Form):
    """B2CSE activation: the receiving account (mandatory), FUI and Agreement ID (optional)."""

    # Bankgiro is what almost every company receives consumer payments on.
    account_type = forms.ChoiceField(
        label=_("Account type"),
        choices=GiroType.choices,
        widget=forms.RadioSelect,
        initial=GiroType.BANKGIRO,
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=20,
        help_text=_("Bankgiro 7 to 8 digits or PlusGiro 2 to 8 digits, including the check digit."),
    )
    fui = forms.CharField(
        label=_("FUI"),
        required=False,
        max_length=40,
        help_text=_(
            "Optional, if your bank already gave you one: organisation number (12 digits), "
            "agreement ID (11 digits), bank ID and SE, e.g. 005560169095.00002222222.FSPA.SE."
        ),
    )
    agreement_id = forms.CharField(
        label=_("Agreement ID"),
        required=False,
        max_length=20,
        help_text=_("Optional: Avtals-ID / Avtalsbankgironummer, 11 digits."),
    )

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        _clean_account_number(self, cleaned)
        fui = (cleaned.get("fui") or "").strip().upper()
        agreement_id = (cleaned.get("agreement_id") or "").strip()
        cleaned["fui"], cleaned["agreement_id"] = fui, agreement_id
        _add_errors(
            self,
            rules.fui_errors(
                fui=fui,
                agreement_id=agreement_id,
                organisation_number=self.company.organisation_number,
            ),
        )
        return cleaned


class ReceivingAccountForm(XmlTextMixin, forms.Form):
    """One more Bankgiro/PlusGiro account under the active FUI."""

    account_type = forms.ChoiceField(
        label=_("Account type"), choices=GiroType.choices, initial=GiroType.BANKGIRO
    )
    account_number = forms.CharField(label=_("Account number"), max_length=20)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        _clean_account_number(self, cleaned)
        return cleaned


class LedgerPreferencesForm(XmlTextMixin, forms.ModelForm):
    """Customer ledger preferences (AR101000), tab AutoInvoice settings."""

    class Meta:
        model = CustomerLedgerPreferences
        fields = [
            "consumer_route_anyway",
            "display_warning_message",
            "send_agreement_current_branch_only",
            "mobile_phone_field",
            "kid_algorithm",
            "kid_length",
            "kid_customer_number_start",
            "kid_customer_number_end",
        ]
        help_texts = {
            "display_warning_message": _(
                "Shows a yellow icon in the sales invoice when the customer's e-invoice "
                "agreement is not active."
            ),
            "send_agreement_current_branch_only": _(
                "Selected: the agreement request is sent for the current branch only. "
                "Deselected: for all branches with an active B2C service."
            ),
            "mobile_phone_field": _(
                "The customer phone field used as the mobile number for agreement requests by SMS."
            ),
            "kid_length": KID_LENGTH_CHOICES_HELP,
        }

    # eFaktura (Norway) only: the consumer route, agreement requests per branch and the KID.
    NORWAY_ONLY = (
        "consumer_route_anyway",
        "send_agreement_current_branch_only",
        "kid_algorithm",
        "kid_length",
        "kid_customer_number_start",
        "kid_customer_number_end",
    )

    def __init__(self, *args, multi_branch: bool, norwegian: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not multi_branch:
            del self.fields["send_agreement_current_branch_only"]
        if not norwegian:
            # A Swedish company has no eFaktura and no KID (its OCR follows Bankgirot's rule).
            for name in self.NORWAY_ONLY:
                self.fields.pop(name, None)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if "kid_length" not in self.fields:
            return cleaned
        _add_errors(
            self,
            rules.kid_position_errors(
                length=cleaned.get("kid_length"),
                start=cleaned.get("kid_customer_number_start"),
                end=cleaned.get("kid_customer_number_end"),
            ),
        )
        return cleaned


class AltinnSettingsForm(XmlTextMixin, forms.ModelForm):
    """Branches (CS102000), tab Altinn settings: the RF-1301 contact."""

    class Meta:
        model = Branch
        fields = ["rf1301_contact_name", "rf1301_contact_phone", "rf1301_contact_email"]

    def clean_rf1301_contact_phone(self) -> str:
        value = self.cleaned_data.get("rf1301_contact_phone", "")
        if not value:
            return ""
        return identifiers.clean_phone_number(value, self.instance.company.country)


class OperatorConnectionForm(forms.Form):
    """Settings -> Operator connection. The API key is write-only: blank keeps the stored one."""

    environment = forms.ChoiceField(label=_("Environment"), choices=OperatorEnvironment.choices)
    company_uuid = forms.UUIDField(
        label=_("Company UUID"),
        help_text=_("The company's ID at the operator (Maventa / AutoInvoice), a UUID."),
        error_messages={
            "invalid": _(
                "Enter the company UUID the operator gave you, "
                "e.g. 1b4e28ba-2fa1-41d2-883f-0016d3cca427."
            )
        },
    )
    api_key = forms.CharField(
        label=_("User API key"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, has_key: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_key = has_key
        self.fields["api_key"].help_text = (
            _("A key is stored. Leave blank to keep it; it is never shown again.")
            if has_key
            else _("The personal user API key from the operator's portal. Stored encrypted.")
        )

    def clean_api_key(self):
        value = self.cleaned_data["api_key"]
        if not value and not self.has_key:
            raise ValidationError(_("Enter the user API key."))
        if value and any(ch.isspace() for ch in value):
            raise ValidationError(_("An API key has no spaces."))
        return value


class CompanyDetailsForm(XmlTextMixin, forms.ModelForm):
    """The company's name (as in the national register) and address."""

    class Meta:
        model = Company
        fields = ["name", "address_line1", "address_line2", "postcode", "city"]
        help_texts = {
            "name": _(
                "Exactly as registered in the national register (Brønnøysundregistrene / "
                "Bolagsverket): the B2C activation checks it."
            )
        }

    def clean_postcode(self) -> str:
        value = (self.cleaned_data.get("postcode") or "").strip()
        if not value:
            return ""
        return identifiers.clean_postcode(value, self.instance.country)


class CompanySettingsForm(XmlTextMixin, forms.ModelForm):
    """What the company's documents state about it: facts the administrator sets, never assumed.

    The same checks as the service (`rules.clean_company_account`,
    `rules.seller_vat_number_error`) put each error on its field; the admin uses this form too.
    """

    class Meta:
        model = Company
        fields = [
            "vat_number",
            "vat_registered",
            "registered_in_foretaksregisteret",
            "f_tax_approved",
            "bank_account",
            "bank_account_type",
        ]

    def __init__(self, *args, company: Company | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        company = company or self.instance
        self.company = company
        fields = self.fields
        fields["vat_registered"].help_text = _(
            "Registered in the VAT register (Merverdiavgiftsregisteret / momsregistrerad). "
            "Only then do documents carry the VAT number and charge VAT; otherwise every line "
            "is outside the scope of VAT."
        )
        if "registered_in_foretaksregisteret" in fields:
            fields["registered_in_foretaksregisteret"].help_text = _(
                'Documents state "Foretaksregisteret" only for companies registered there '
                "(limited companies and other foretak registered in Brønnøysund)."
            )
        if "f_tax_approved" in fields:
            fields["f_tax_approved"].help_text = _(
                'Documents state "Godkänd för F-skatt" only when the company is approved for '
                "F-tax by Skatteverket."
            )
        account_type = fields["bank_account_type"]
        if company.country == "NO":
            fields.pop("f_tax_approved", None)
            fields["bank_account"].help_text = _("Bank account (BBAN, 11 digits).")
            account_type.widget = forms.HiddenInput()
            account_type.required = False
        else:
            fields.pop("registered_in_foretaksregisteret", None)
            cast(forms.ChoiceField, account_type).choices = [("", "---------"), *GiroType.choices]
            account_type.help_text = _(
                "Bankgiro or PlusGiro: the two look alike when typed without a hyphen, so the "
                "type is chosen here and never guessed."
            )
        fields["vat_number"].help_text = (
            _("NO, the organisation number and MVA (NO923456783MVA).")
            if company.country == "NO"
            else _("SE, the organisation number and 01 (SE556677889901).")
        )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        account, account_type, errors = rules.clean_company_account(
            country=self.company.country,
            account=data.get("bank_account", ""),
            account_type=data.get("bank_account_type", ""),
        )
        _add_errors(self, errors)
        if not errors:
            data["bank_account"], data["bank_account_type"] = account, account_type
        vat_number = (data.get("vat_number") or "").strip()
        if vat_number and "vat_number" not in self.errors:
            error = rules.seller_vat_number_error(
                country=self.company.country,
                vat_number=vat_number,
                organisation_number=self.company.organisation_number,
            )
            if error:
                self.add_error("vat_number", error)
        return data


class CompanyForm(XmlTextMixin, forms.ModelForm):
    """The company record (the Django admin is its screen): identifiers checked per country.

    The organisation number and the country are fixed once the networks know the company by
    them (`services.company.organisation_number_lock_reason`).
    """

    class Meta:
        model = Company
        fields = [
            "name",
            "country",
            "organisation_number",
            "vat_number",
            "address_line1",
            "address_line2",
            "postcode",
            "city",
            "currency",
            "email",
            "phone",
            "bank_account",
            "bank_account_type",
            "vat_registered",
            "registered_in_foretaksregisteret",
            "f_tax_approved",
        ]

    def clean(self):
        from .services.company import organisation_number_lock_reason

        super().clean()

        cleaned = self.cleaned_data
        country = cleaned.get("country")
        if not country:
            return cleaned
        for name, clean in (
            ("organisation_number", identifiers.clean_organisation_number),
            ("postcode", identifiers.clean_postcode),
            ("phone", identifiers.clean_phone_number),
        ):
            value = cleaned.get(name)
            if not value:
                continue
            try:
                cleaned[name] = clean(value, country)
            except ValidationError as exc:
                self.add_error(name, exc)
        # The account and its type as Settings → Company checks them: the type is chosen,
        # never guessed from how the number is written.
        account, account_type, errors = rules.clean_company_account(
            country=country,
            account=cleaned.get("bank_account", ""),
            account_type=cleaned.get("bank_account_type", ""),
        )
        _add_errors(self, errors)
        if not errors:
            cleaned["bank_account"], cleaned["bank_account_type"] = account, account_type
        number = cleaned.get("organisation_number")
        vat_number = (cleaned.get("vat_number") or "").strip()
        if vat_number and number and "organisation_number" not in self.errors:
            error = rules.seller_vat_number_error(
                country=country, vat_number=vat_number, organisation_number=number
            )
            if error:
                self.add_error("vat_number", error)
        if (
            number
            and "organisation_number" not in self.errors
            and Company.objects.filter(country=country, organisation_number=number)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error(
                "organisation_number", _("Another company already has this organisation number.")
            )
        if self.instance.pk is not None and (
            cleaned.get("organisation_number", self.instance.organisation_number)
            != self.instance.organisation_number
            or country != self.instance.country
        ):
            reason = organisation_number_lock_reason(self.instance)
            if reason:
                self.add_error("organisation_number", reason)
        return cleaned
