"""Field rules shared by the forms (per-field errors) and the services (the final authority).

Each function returns `{field name: message}` for what is wrong, so a form can attach the
messages to its fields and a service can refuse with the same words. Identifier checks
(check digits, formats) come from `b2cportal.identifiers`; only the combinations are here.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from b2cportal import identifiers

from .models import BankAccountType, GiroType

# A Norwegian KID (customer identification) is 2 to 25 digits, the last one a check digit.
KID_MIN_LENGTH = 2
KID_MAX_LENGTH = 25
MAX_ACCOUNTS_PER_FUI = 99


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def kid_position_errors(
    *,
    length: int | None,
    start: int | None,
    end: int | None,
    fields: tuple[str, str, str] = (
        "kid_length",
        "kid_customer_number_start",
        "kid_customer_number_end",
    ),
) -> dict[str, str]:
    """The customer number must lie inside the KID and leave the last digit for the check digit.

    `fields` names the length, start and end inputs the messages belong to.
    """
    length_field, start_field, end_field = fields
    errors: dict[str, str] = {}
    if length is None or not KID_MIN_LENGTH <= length <= KID_MAX_LENGTH:
        errors[length_field] = _("The KID length must be between %(min)s and %(max)s.") % {
            "min": KID_MIN_LENGTH,
            "max": KID_MAX_LENGTH,
        }
        return errors
    if start is None or start < 1:
        errors[start_field] = _("The start position must be 1 or more.")
    if end is None or end < 1:
        errors[end_field] = _("The end position must be 1 or more.")
    if errors:
        return errors
    # Both checked just above.
    assert start is not None
    assert end is not None
    if start > end:
        errors[start_field] = _(
            "The start position (%(start)s) must not be after the end position (%(end)s)."
        ) % {"start": start, "end": end}
    if end > length - 1:
        errors[end_field] = _(
            "The customer number must lie within the KID length (%(length)s digits) and leave "
            "the last digit for the check digit: the end position can be at most %(max)s."
        ) % {"length": length, "max": length - 1}
    return errors


def clean_giro_account(account_type: str, number: str) -> str:
    """Bankgiro or PlusGiro number in canonical digits; raises ValidationError naming the rule."""
    if account_type == GiroType.BANKGIRO:
        return identifiers.clean_bankgiro(number)
    if account_type == GiroType.PLUSGIRO:
        return identifiers.clean_plusgiro(number)
    raise ValidationError(_("Choose Bankgiro or PlusGiro."))


def clean_company_account(
    *, country: str, account: str, account_type: str
) -> tuple[str, str, dict[str, str]]:
    """(account, account type, errors) of the company's bank account, as the user chose them.

    Norway: a BBAN (MOD11). Sweden: Bankgiro or PlusGiro as chosen, never guessed from the
    format (a PlusGiro number typed without its hyphen looks like a Bankgiro number).
    """
    account = (account or "").strip()
    if not account:
        return "", "", {}
    if country == "NO":
        try:
            return identifiers.clean_bban(account), BankAccountType.BBAN, {}
        except ValidationError as exc:
            return account, account_type, {"bank_account": _message(exc)}
    if account_type not in (BankAccountType.BANKGIRO, BankAccountType.PLUSGIRO):
        return account, account_type, {"bank_account_type": _("Choose Bankgiro or PlusGiro.")}
    try:
        digits = clean_giro_account(account_type, account)
    except ValidationError as exc:
        return account, account_type, {"bank_account": _message(exc)}
    formatter = (
        identifiers.format_bankgiro
        if account_type == BankAccountType.BANKGIRO
        else identifiers.format_plusgiro
    )
    return formatter(digits), account_type, {}


def seller_vat_number_error(
    *, country: str, vat_number: str, organisation_number: str
) -> str | None:
    """A seller's own VAT number must be valid and carry its own organisation number."""
    try:
        clean = identifiers.clean_vat_number(vat_number, country)
    except ValidationError as exc:
        return _message(exc)
    digits = "".join(ch for ch in organisation_number if ch.isdigit())
    if not clean.startswith(country) or digits not in clean:
        return _(
            "The VAT number must be the company's own: %(country)s, %(orgnr)s and %(suffix)s."
        ) % {
            "country": country,
            "orgnr": digits,
            "suffix": "MVA" if country == "NO" else "01",
        }
    return None


def fui_errors(*, fui: str, agreement_id: str, organisation_number: str) -> dict[str, str]:
    """FUI and Agreement ID are optional; when given they must belong to this company."""
    errors: dict[str, str] = {}
    parsed = None
    if fui:
        try:
            parsed = identifiers.parse_fui(fui)
        except ValidationError as exc:
            errors["fui"] = _message(exc)
        else:
            expected = identifiers.organisation_number_12(organisation_number)
            if parsed.organisation_number != expected:
                errors["fui"] = _(
                    "The organisation number in the FUI (%(fui_orgnr)s) must be the company's "
                    "organisation number (%(orgnr)s)."
                ) % {"fui_orgnr": parsed.organisation_number, "orgnr": expected}
    if agreement_id:
        if len(agreement_id) != 11 or not agreement_id.isdigit() or not agreement_id.isascii():
            errors["agreement_id"] = _("The Agreement ID must be 11 digits.")
        elif parsed is not None and "fui" not in errors and parsed.agreement_id != agreement_id:
            errors["agreement_id"] = _(
                "The Agreement ID must be the same as the agreement ID in the FUI (%(id)s)."
            ) % {"id": parsed.agreement_id}
    return errors


def register_name_error(*, registered_name: str | None, company_name: str) -> str | None:
    """Bolagsverket check: the company name must equal the registered name exactly."""
    if registered_name is None:
        return _("Company name: the organisation number was not found in the national register.")
    if registered_name != company_name:
        return _(
            "Company name: must match the national register exactly. Registered name: "
            "%(registered)s, company name: %(name)s."
        ) % {"registered": registered_name, "name": company_name}
    return None
