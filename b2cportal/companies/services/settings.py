"""AutoInvoice settings (CS10250S), Customer ledger preferences (AR101000), Altinn (RF-1301)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from b2cportal import identifiers
from b2cportal.audit.models import AuditAction as Action

from .. import rules
from ..models import (
    AutoInvoiceSettings,
    Branch,
    Company,
    ConsumerEInvoiceService,
    CustomerLedgerPreferences,
)
from .history import CompanyError, FieldValues, update_recorded


def update_autoinvoice_settings(
    *, branch: Branch, acting_user: User, changes: FieldValues
) -> AutoInvoiceSettings:
    """Save the branch's AutoInvoice settings (CS10250S) and record what changed."""
    company = branch.company

    def locked() -> AutoInvoiceSettings:
        AutoInvoiceSettings.objects.get_or_create(branch=branch)
        return AutoInvoiceSettings.objects.select_for_update().get(branch=branch)

    def check(obj: AutoInvoiceSettings, changes: FieldValues) -> FieldValues:
        service = changes.get("consumer_einvoice_service", obj.consumer_einvoice_service)
        allowed = {"none", "autoinvoice_b2c" if company.is_norwegian else "b2cse"}
        if service not in allowed:
            raise CompanyError(
                _("This service is not available for companies in %(country)s.")
                % {"country": company.get_country_display()},
                field="consumer_einvoice_service",
            )
        if service != obj.consumer_einvoice_service:
            # Only the activation sets it (set_consumer_einvoice_service): a setting that says
            # "AutoInvoice B2C" on a branch without the active service would contradict it.
            raise CompanyError(
                _(
                    "The service for sending consumer e-invoices to the bank follows the B2C "
                    "service activation and cannot be changed here."
                ),
                field="consumer_einvoice_service",
            )
        if company.is_norwegian:
            # InExchange routing only exists in Sweden; the settings are not shown in Norway.
            swedish = {"prevent_routing_through_inexchange", "is_inexchange_customer"}
            return {k: v for k, v in changes.items() if k not in swedish}
        return changes

    return update_recorded(
        locked=locked,
        check=check,
        changes=changes,
        acting_user=acting_user,
        action=Action.AUTOINVOICE_UPDATED,
        company=company,
        branch=branch,
    )


def set_consumer_einvoice_service(
    *, branch: Branch, service: str, acting_user: User | None = None
) -> AutoInvoiceSettings:
    """Point the branch's consumer e-invoice setting at the service that just became active.

    Called when a B2C service turns active (its service) or is deactivated (None); the change
    is recorded in the settings history like any other. `acting_user` is None for the poll.
    """
    if service not in ConsumerEInvoiceService.values:
        raise CompanyError(_("Unknown consumer e-invoice service."))

    def locked() -> AutoInvoiceSettings:
        AutoInvoiceSettings.objects.get_or_create(branch=branch)
        return AutoInvoiceSettings.objects.select_for_update().get(branch=branch)

    return update_recorded(
        locked=locked,
        changes={"consumer_einvoice_service": service},
        acting_user=acting_user,
        action=Action.AUTOINVOICE_UPDATED,
        company=branch.company,
        branch=branch,
    )


COMPANY_FACTS = (
    "vat_number",
    "vat_registered",
    "registered_in_foretaksregisteret",
    "f_tax_approved",
    "bank_account",
    "bank_account_type",
)


def update_company_facts(*, company: Company, acting_user: User, changes: FieldValues) -> Company:
    """Save what the company's documents state about it (VAT registration, Foretaksregisteret,
    F-skatt, the account customers pay into and its type) and record what changed."""

    def locked() -> Company:
        return Company.objects.select_for_update().get(pk=company.pk)

    def check(obj: Company, changes: FieldValues) -> FieldValues:
        accepted = {k: v for k, v in changes.items() if k in COMPANY_FACTS}
        # Each country's statement only: Foretaksregisteret is Norwegian, F-skatt Swedish.
        accepted.pop(
            "f_tax_approved" if obj.is_norwegian else "registered_in_foretaksregisteret", None
        )
        account, account_type, errors = rules.clean_company_account(
            country=obj.country,
            account=accepted.get("bank_account", obj.bank_account),
            account_type=accepted.get("bank_account_type", obj.bank_account_type),
        )
        if errors:
            field, message = next(iter(errors.items()))
            raise CompanyError(message, field=field)
        accepted["bank_account"], accepted["bank_account_type"] = account, account_type
        vat_number = (accepted.get("vat_number", obj.vat_number) or "").strip()
        if vat_number:
            error = rules.seller_vat_number_error(
                country=obj.country,
                vat_number=vat_number,
                organisation_number=obj.organisation_number,
            )
            if error:
                raise CompanyError(error, field="vat_number")
            accepted["vat_number"] = vat_number.replace(" ", "").upper()
        return accepted

    updated = update_recorded(
        locked=locked,
        check=check,
        changes=changes,
        acting_user=acting_user,
        action=Action.COMPANY_UPDATED,
        company=company,
        branch=None,
    )
    for name in COMPANY_FACTS:
        setattr(company, name, getattr(updated, name))
    return updated


def update_ledger_preferences(
    *, company: Company, acting_user: User, changes: FieldValues
) -> CustomerLedgerPreferences:
    """Save Customer ledger preferences (AR101000, tab AutoInvoice settings) and record it."""

    def locked() -> CustomerLedgerPreferences:
        CustomerLedgerPreferences.objects.get_or_create(company=company)
        return CustomerLedgerPreferences.objects.select_for_update().get(company=company)

    def check(obj: CustomerLedgerPreferences, changes: FieldValues) -> FieldValues:
        errors = rules.kid_position_errors(
            length=changes.get("kid_length", obj.kid_length),
            start=changes.get("kid_customer_number_start", obj.kid_customer_number_start),
            end=changes.get("kid_customer_number_end", obj.kid_customer_number_end),
        )
        if errors:
            field, message = next(iter(errors.items()))
            raise CompanyError(message, field=field)
        return changes

    return update_recorded(
        locked=locked,
        check=check,
        changes=changes,
        acting_user=acting_user,
        action=Action.LEDGER_UPDATED,
        company=company,
        branch=None,
    )


def update_altinn_settings(*, branch: Branch, acting_user: User, changes: FieldValues) -> Branch:
    """Save the branch's RF-1301 contact (Branches, tab Altinn settings) and record it."""

    def check(obj: Branch, changes: FieldValues) -> FieldValues:
        phone = changes.get("rf1301_contact_phone")
        if not phone:
            return changes
        try:
            cleaned = identifiers.clean_phone_number(phone, branch.company.country)
        except ValidationError as exc:
            raise CompanyError(" ".join(exc.messages), field="rf1301_contact_phone") from None
        return {**changes, "rf1301_contact_phone": cleaned}

    return update_recorded(
        locked=lambda: Branch.objects.select_for_update().get(pk=branch.pk),
        check=check,
        changes=changes,
        acting_user=acting_user,
        action=Action.ALTINN_UPDATED,
        company=branch.company,
        branch=branch,
    )


def update_company_details(*, company: Company, acting_user: User, changes: FieldValues) -> Company:
    """Correct the company's name and address (e.g. to match the national register) and record
    what changed. Country and organisation number are the company's identity and stay."""
    allowed = {"name", "address_line1", "address_line2", "postcode", "city"}

    def check(obj: Company, changes: FieldValues) -> FieldValues:
        if not (changes.get("name") or obj.name).strip():
            raise CompanyError(_("Enter the company name."), field="name")
        return {k: v for k, v in changes.items() if k in allowed}

    return update_recorded(
        locked=lambda: Company.objects.select_for_update().get(pk=company.pk),
        check=check,
        changes=changes,
        acting_user=acting_user,
        action=Action.COMPANY_UPDATED,
        company=company,
        branch=None,
    )
