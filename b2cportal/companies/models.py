"""Companies, branches, who belongs to them, and the per-company/per-branch service settings.

Field names follow the ERP windows users know: AutoInvoice settings (CS10250S), Customer ledger
preferences (AR101000, tab *AutoInvoice settings*) and Branches (CS102000, tab *Altinn settings*).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from b2cportal import identifiers


class Country(models.TextChoices):
    NORWAY = "NO", _("Norway")
    SWEDEN = "SE", _("Sweden")


class BankAccountType(models.TextChoices):
    """What kind of account `Company.bank_account` is: stored, never guessed from the format."""

    BBAN = "bban", _("Bank account (BBAN)")
    BANKGIRO = "bankgiro", _("Bankgiro")
    PLUSGIRO = "plusgiro", _("PlusGiro")


class Company(models.Model):
    """One legal entity in one country. The name must equal the national register's."""

    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    organisation_number = models.CharField(_("organisation number"), max_length=20)
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    address_line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="NOK")
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Where customers pay: BBAN in Norway; Bankgiro or PlusGiro in Sweden.
    bank_account = models.CharField(_("bank account"), max_length=20, blank=True)
    # Norway: always a BBAN. Sweden: Bankgiro or PlusGiro, chosen by the user; the two formats
    # overlap (a PlusGiro typed without its hyphen looks like a Bankgiro number).
    bank_account_type = models.CharField(
        _("account type"), max_length=10, choices=BankAccountType.choices, blank=True
    )
    # Seller statements on every document are facts about the company, set on its settings:
    # the VAT identifier only when VAT-registered (MVA-registeret / momsregistrerad),
    # "Foretaksregisteret" only when registered there (Norway, NO-R-002), and
    # "Godkänd för F-skatt" only when approved (Sweden, SE-R-005).
    vat_registered = models.BooleanField(_("registered for VAT"), default=True)
    registered_in_foretaksregisteret = models.BooleanField(
        _("registered in Foretaksregisteret (Norway)"), default=False
    )
    f_tax_approved = models.BooleanField(_("approved for F-tax (Sweden)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "organisation_number"], name="company_orgnr_unique_per_country"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_norwegian(self) -> bool:
        return self.country == Country.NORWAY

    @property
    def is_swedish(self) -> bool:
        return self.country == Country.SWEDEN


class Branch(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="branches", verbose_name=_("company")
    )
    branch_id = models.CharField(_("branch ID"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    is_main_office = models.BooleanField(_("main office"), default=False)
    address_line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    # Altinn settings: contact for the RF-1301 form.
    rf1301_contact_name = models.CharField(_("RF-1301 contact name"), max_length=200, blank=True)
    rf1301_contact_phone = models.CharField(_("RF-1301 contact phone"), max_length=30, blank=True)
    rf1301_contact_email = models.EmailField(_("RF-1301 contact email"), blank=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["company", "-is_main_office", "branch_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "branch_id"], name="branch_id_unique_per_company"
            ),
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(is_main_office=True),
                name="one_main_office_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.name}"


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    ACCOUNTANT = "accountant", _("Accountant")
    SUPPORT = "support", _("Support")


class Membership(models.Model):
    """A user's access to one company, with one role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("company")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="one_membership_per_company"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"

    @property
    def can_edit_settings(self) -> bool:
        return self.role == Role.ADMINISTRATOR


class FallbackOrder(models.TextChoices):
    EMAIL_THEN_PRINT = "email_then_print", _("Email, then print")
    PRINT_ONLY = "print_only", _("Print only")
    EMAIL_ONLY = "email_only", _("Email only")


class AutoInvoiceEndpoint(models.TextChoices):
    PRODUCTION = "production", _("Production")
    TEST = "test", _("Test")


class ConsumerEInvoiceService(models.TextChoices):
    NONE = "none", _("None")
    AUTOINVOICE_B2C = "autoinvoice_b2c", _("AutoInvoice B2C (Norway, eFaktura)")
    B2CSE = "b2cse", _("B2CSE (Sweden, bank e-invoice via InConx)")


class InvoiceImportScenario(models.TextChoices):
    NONE = "none", _("Do not import")
    DRAFT = "draft", _("Import as draft supplier invoice")
    APPROVAL = "approval", _("Import and send for approval")


class ImportVatSetting(models.TextChoices):
    FROM_DOCUMENT = "from_document", _("Use VAT from the document")
    FROM_SUPPLIER = "from_supplier", _("Use the supplier's default VAT")
    NONE = "none", _("No VAT")


class AutoInvoiceSettings(models.Model):
    """AutoInvoice settings (CS10250S), one row per branch."""

    branch = models.OneToOneField(
        Branch, on_delete=models.CASCADE, related_name="autoinvoice_settings"
    )
    use_printing_services = models.BooleanField(_("use printing services"), default=False)
    accept_printing_price_agreement = models.BooleanField(
        _("accept the printing price agreement"), default=False
    )
    do_not_send_pdf_by_email = models.BooleanField(
        _("do not send invoices as PDF via email"), default=False
    )
    auto_mark_attachments = models.BooleanField(
        _("automatically mark attachments for AutoInvoice"), default=False
    )
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    consumer_einvoice_service = models.CharField(
        _("service for sending consumer e-invoices to the bank"),
        max_length=20,
        choices=ConsumerEInvoiceService.choices,
        default=ConsumerEInvoiceService.NONE,
    )
    endpoint = models.CharField(
        _("AutoInvoice endpoint"),
        max_length=20,
        choices=AutoInvoiceEndpoint.choices,
        default=AutoInvoiceEndpoint.PRODUCTION,
    )
    invoice_import_scenario = models.CharField(
        _("invoice import scenario"),
        max_length=20,
        choices=InvoiceImportScenario.choices,
        default=InvoiceImportScenario.NONE,
    )
    imported_invoice_vat_setting = models.CharField(
        _("VAT settings for imported invoices"),
        max_length=20,
        choices=ImportVatSetting.choices,
        default=ImportVatSetting.FROM_DOCUMENT,
    )
    invoice_inbox_vat_setting = models.CharField(
        _("VAT setting for the invoice inbox"),
        max_length=20,
        choices=ImportVatSetting.choices,
        default=ImportVatSetting.FROM_DOCUMENT,
    )
    # Sweden (seed 004): a sender that is also a customer of InExchange has every invoice forced
    # through the InExchange connection unless *prevent routing* is on. Senders that are not
    # InExchange customers are never forced, whatever the other setting says.
    is_inexchange_customer = models.BooleanField(
        _("the company is also a customer of InExchange"), default=False
    )
    prevent_routing_through_inexchange = models.BooleanField(
        _("prevent routing all sent invoices through InExchange"), default=True
    )
    fallback_order = models.CharField(
        _("fallback order"),
        max_length=20,
        choices=FallbackOrder.choices,
        default=FallbackOrder.EMAIL_THEN_PRINT,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("AutoInvoice settings")
        verbose_name_plural = _("AutoInvoice settings")

    def __str__(self) -> str:
        return str(self.branch)


class NorwayActivationStatus(models.TextChoices):
    NOT_ACTIVATED = "not_activated", _("Not activated")
    AWAITING_TERMS = "awaiting_terms", _("Awaiting acceptance of the terms of service")
    ACTIVATING = "activating", _("Activating")
    ACTIVE = "active", _("Active")
    DEACTIVATED = "deactivated", _("Deactivated")


class NorwayB2CActivation(models.Model):
    """B2C service for sending consumer e-invoice to bank (Norway, AutoInvoice B2C), per branch."""

    branch = models.OneToOneField(Branch, on_delete=models.CASCADE, related_name="b2cno")
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NorwayActivationStatus.choices,
        default=NorwayActivationStatus.NOT_ACTIVATED,
    )
    signer_name = models.CharField(_("name"), max_length=200, blank=True)
    signer_email = models.EmailField(_("email"), blank=True)
    # One-time terms link: the signed token carries this nonce; accepting clears it.
    terms_nonce = models.CharField(max_length=64, blank=True)
    # The nonce whose email went out: a retried send task never mails the same link twice.
    terms_emailed_nonce = models.CharField(max_length=64, blank=True)
    terms_sent_at = models.DateTimeField(_("terms sent"), null=True, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted"), null=True, blank=True)
    expected_active_on = models.DateField(_("expected active on"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)
    network_reference = models.CharField(max_length=64, blank=True)
    # The submission on its way to the network: its idempotency key, so a retry after a crash
    # between the network's answer and our record reuses it instead of activating twice.
    pending_submission = models.JSONField(default=dict, blank=True)
    use_agreement_capture = models.BooleanField(
        _("use agreement capture (with OCR)"), default=False
    )
    capture_bban = models.CharField(_("bank account (BBAN)"), max_length=11, blank=True)
    capture_kid_length = models.PositiveSmallIntegerField(_("KID length"), default=12)
    capture_customer_number_start = models.PositiveSmallIntegerField(
        _("customer number starts at position"), default=1
    )
    capture_customer_number_end = models.PositiveSmallIntegerField(
        _("customer number ends at position"), default=5
    )
    error = models.TextField(_("error"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("B2C activation (Norway)")
        verbose_name_plural = _("B2C activations (Norway)")

    def __str__(self) -> str:
        return f"{self.branch}: {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status == NorwayActivationStatus.ACTIVE

    @property
    def is_being_sent(self) -> bool:
        """The terms were accepted and the activation is on its way to the network."""
        return self.status == NorwayActivationStatus.ACTIVATING and not self.network_reference

    @property
    def is_being_deactivated(self) -> bool:
        """*Deactivate* was confirmed and the request is on its way to the network."""
        return self.status == NorwayActivationStatus.ACTIVE and bool(
            (self.pending_submission or {}).get("deactivate")
        )

    @property
    def is_being_checked(self) -> bool:
        """*Check status now* was clicked and the network has not answered yet."""
        return bool((self.pending_submission or {}).get("check"))


class SwedenActivationStatus(models.TextChoices):
    NOT_ACTIVATED = "not_activated", _("Not activated")
    PENDING = "pending", _("Activation pending")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    DEACTIVATED = "deactivated", _("Deactivated")


class GiroType(models.TextChoices):
    BANKGIRO = "bankgiro", _("Bankgiro")
    PLUSGIRO = "plusgiro", _("PlusGiro")


def format_giro_account(account_type: str, number: str) -> str:
    """Bankgiro/PlusGiro number in its display form (5050-1055, 902003-3); else as stored."""
    formatters: dict[str, Callable[[str], str]] = {
        GiroType.BANKGIRO: identifiers.format_bankgiro,
        GiroType.PLUSGIRO: identifiers.format_plusgiro,
    }
    formatter = formatters.get(account_type)
    if formatter is None or not number:
        return number
    try:
        return formatter(number)
    except ValidationError:
        return number


class SwedenB2CActivation(models.Model):
    """B2CSE service (Sweden, via the certified technical distributor), per branch."""

    branch = models.OneToOneField(Branch, on_delete=models.CASCADE, related_name="b2cse")
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SwedenActivationStatus.choices,
        default=SwedenActivationStatus.NOT_ACTIVATED,
    )
    account_type = models.CharField(
        _("account type"), max_length=10, choices=GiroType.choices, blank=True
    )
    account_number = models.CharField(_("account number"), max_length=10, blank=True)
    fui = models.CharField(_("FUI"), max_length=40, blank=True)
    agreement_id = models.CharField(_("Agreement ID"), max_length=11, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    onboarding_url = models.URLField(_("consumer onboarding page"), blank=True)
    network_reference = models.CharField(max_length=64, blank=True)
    # The submission on its way to the network: its idempotency key, so a retry after a crash
    # between the network's answer and our record reuses it instead of activating twice.
    pending_submission = models.JSONField(default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("B2C activation (Sweden)")
        verbose_name_plural = _("B2C activations (Sweden)")

    def __str__(self) -> str:
        return f"{self.branch}: {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status == SwedenActivationStatus.ACTIVE

    @property
    def formatted_account_number(self) -> str:
        return format_giro_account(self.account_type, self.account_number)

    @property
    def is_being_sent(self) -> bool:
        """*Activate* was clicked and the activation is on its way to the network."""
        return self.status not in (
            SwedenActivationStatus.PENDING,
            SwedenActivationStatus.ACTIVE,
        ) and bool((self.pending_submission or {}).get("key"))

    @property
    def is_being_checked(self) -> bool:
        """*Check status now* was clicked and the network has not answered yet."""
        return bool((self.pending_submission or {}).get("check"))

    @property
    def refused_field(self) -> str:
        """The field the last refused submission was refused for ("company_name" or "")."""
        return str((self.pending_submission or {}).get("refused") or "")


class SwedenReceivingAccount(models.Model):
    """Extra Bankgiro/PlusGiro accounts under one FUI (at most 99 per FUI)."""

    activation = models.ForeignKey(
        SwedenB2CActivation, on_delete=models.CASCADE, related_name="receiving_accounts"
    )
    account_type = models.CharField(_("account type"), max_length=10, choices=GiroType.choices)
    account_number = models.CharField(_("account number"), max_length=10)
    # False while the network has not confirmed it: the row holds its place under the 99 limit.
    confirmed = models.BooleanField(_("confirmed by the network"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("receiving account")
        verbose_name_plural = _("receiving accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["activation", "account_type", "account_number"],
                name="receiving_account_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_account_type_display()} {self.formatted_account_number}"

    @property
    def formatted_account_number(self) -> str:
        return format_giro_account(self.account_type, self.account_number)


class MobilePhoneField(models.TextChoices):
    PHONE_1 = "phone_1", _("Phone 1")
    PHONE_2 = "phone_2", _("Phone 2")


class KidAlgorithm(models.TextChoices):
    MOD10 = "mod10", _("MOD10 (Luhn)")
    MOD11 = "mod11", _("MOD11")


class CustomerLedgerPreferences(models.Model):
    """Customer ledger preferences (AR101000), tab *AutoInvoice settings*, one row per company."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="ledger_preferences"
    )
    consumer_route_anyway = models.BooleanField(
        _('use the service "AutoInvoice - consumer route" anyway'),
        default=False,
        help_text=_(
            "Selected: an invoice to a customer who wants banking e-invoices but has no active "
            "agreement is still sent as a banking e-invoice and reaches the online bank if the "
            "customer accepts the agreement request within 3 days; after 3 days it goes by "
            "email, if available, or by post. Deselected: it is sent at once by email or post."
        ),
    )
    display_warning_message = models.BooleanField(_("display warning message"), default=True)
    send_agreement_current_branch_only = models.BooleanField(
        _("send the consumer-supplier agreement for current branch only"), default=False
    )
    mobile_phone_field = models.CharField(
        _("phone field used as mobile number"),
        max_length=10,
        choices=MobilePhoneField.choices,
        default=MobilePhoneField.PHONE_2,
    )
    kid_algorithm = models.CharField(
        _("KID check digit"), max_length=5, choices=KidAlgorithm.choices, default=KidAlgorithm.MOD10
    )
    kid_length = models.PositiveSmallIntegerField(_("KID length"), default=12)
    kid_customer_number_start = models.PositiveSmallIntegerField(
        _("customer number starts at position"), default=1
    )
    kid_customer_number_end = models.PositiveSmallIntegerField(
        _("customer number ends at position"), default=5
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer ledger preferences")
        verbose_name_plural = _("customer ledger preferences")

    def __str__(self) -> str:
        return str(self.company)


class OperatorEnvironment(models.TextChoices):
    TESTING = "testing", _("Testing")
    PRODUCTION = "production", _("Production")


class OperatorConnection(models.Model):
    """The company's account at the operator (AutoInvoice / Maventa AutoXChange).

    The user API key is stored encrypted (`b2cportal.companies.credentials`) and never shown
    again after saving. `webhook_token` makes the company's notification URL unguessable.
    """

    company = models.OneToOneField(
        Company,
        on_delete=models.CASCADE,
        related_name="operator_connection",
        verbose_name=_("company"),
    )
    environment = models.CharField(
        _("environment"),
        max_length=20,
        choices=OperatorEnvironment.choices,
        default=OperatorEnvironment.TESTING,
    )
    company_uuid = models.UUIDField(_("company UUID at the operator"))
    api_key_encrypted = models.TextField(_("user API key (encrypted)"), editable=False)
    webhook_token = models.CharField(max_length=64, unique=True, editable=False)
    webhook_subscription_id = models.CharField(max_length=64, blank=True, editable=False)
    last_tested_at = models.DateTimeField(_("last tested"), null=True, blank=True)
    last_test_ok = models.BooleanField(_("last test succeeded"), null=True, blank=True)
    last_test_message = models.TextField(_("last test result"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("operator connection")
        verbose_name_plural = _("operator connections")

    def __str__(self) -> str:
        return f"{self.company} @ {self.environment}"
