"""FUI (Faktura Utställar Identitet) and FMI (Faktura Mottagar Identitet), per the Swedish seed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.se import orgnr as se_orgnr

from ._common import (
    MSG_REQUIRED,
    _strip_whitespace,
    _today,
)
from .people import _swedish_birth_date, clean_swedish_personal_number

# ---------------------------------------------------------------------------------------------
# FUI and FMI (Swedish bank e-invoice identities)
# ---------------------------------------------------------------------------------------------

_BANK_ID = re.compile(r"^[A-Z0-9]{1,4}$")


def _split_identity(value: str, parts: int) -> list[str]:
    compact = _strip_whitespace(value).upper()
    if not compact:
        raise ValidationError(MSG_REQUIRED, code="required")
    pieces = compact.split(".")
    if len(pieces) != parts:
        return []
    return pieces


def _clean_bank_id(bank_id: str) -> str:
    bank_id = _strip_whitespace(bank_id).upper()
    if not _BANK_ID.match(bank_id):
        raise ValidationError(
            _("The bank ID must be 1 to 4 letters or digits, for example FSPA."),
            code="invalid_bank_id",
        )
    return bank_id


def _check_country_code(code: str) -> None:
    if code != "SE":
        raise ValidationError(_("The country code must be SE."), code="invalid_country")


def _clean_fui_organisation(value: str) -> str:
    """12-digit organisation part of an FUI: 00/16 + orgnr, or a sole trader's personnummer."""
    message = _(
        "The organisation number part must be a valid 12-digit Swedish organisation number "
        "(for example 005560169095) or personal identity number."
    )
    if len(value) != 12 or not value.isdigit() or not value.isascii():
        raise ValidationError(message, code="invalid_organisation_number")
    # 16 is the other prefix Swedish systems use for legal entities; keep what the bank issued.
    if value[:2] in ("00", "16"):
        if se_orgnr.is_valid(value[2:]):
            return value
        raise ValidationError(message, code="invalid_organisation_number")
    try:
        clean_swedish_personal_number(value)
    except ValidationError:
        raise ValidationError(message, code="invalid_organisation_number") from None
    return value


@dataclass(frozen=True)
class Fui:
    """Faktura Utställar Identitet: ``<org number 12>.<agreement ID 11>.<bank ID>.SE``."""

    organisation_number: str
    agreement_id: str
    bank_id: str

    def __str__(self) -> str:
        return f"{self.organisation_number}.{self.agreement_id}.{self.bank_id}.SE"


def parse_fui(value: str) -> Fui:
    """Read an FUI such as ``005560169095.00002222222.FSPA.SE``; the error names the bad part."""
    pieces = _split_identity(value, 4)
    if not pieces:
        raise ValidationError(
            _(
                "An FUI has four parts separated by dots: organisation number, agreement ID, "
                "bank ID and SE, for example 005560169095.00002222222.FSPA.SE."
            ),
            code="invalid_format",
        )
    organisation, agreement_id, bank_id, country = pieces
    organisation = _clean_fui_organisation(organisation)
    if len(agreement_id) != 11 or not agreement_id.isdigit() or not agreement_id.isascii():
        raise ValidationError(
            _("The agreement ID part must be 11 digits, for example 00002222222."),
            code="invalid_agreement_id",
        )
    bank_id = _clean_bank_id(bank_id)
    _check_country_code(country)
    return Fui(organisation_number=organisation, agreement_id=agreement_id, bank_id=bank_id)


def make_fui(organisation_number_12: str, agreement_id: str, bank_id: str) -> str:
    """Build and validate an FUI string from its parts (agreement ID is zero-padded to 11)."""
    agreement = _strip_whitespace(agreement_id)
    if agreement.isdigit() and len(agreement) < 11:
        agreement = agreement.zfill(11)
    organisation = _strip_whitespace(organisation_number_12)
    return str(parse_fui(f"{organisation}.{agreement}.{_strip_whitespace(bank_id)}.SE"))


@dataclass(frozen=True)
class Fmi:
    """Faktura Mottagar Identitet: ``<SSN or org number, 12 digits>.<bank ID>.SE``."""

    ssn: str
    bank_id: str

    def __str__(self) -> str:
        return f"{self.ssn}.{self.bank_id}.SE"


def _clean_fmi_ssn(value: str) -> str:
    """Check the 12-digit receiver part of an FMI: format and date, not the Luhn digit.

    The Swedish seed publishes ``194001111111.NB.SE`` (and the same number for FSPA, OEB and
    SHB) as valid FMIs, but 4001111111 fails the Luhn check, so an FMI is treated as an
    identifier issued by the bank: it must be 12 digits that form a personnummer /
    samordningsnummer date (day + 60 allowed) or an ``00``/``16`` + organisation number. The
    consumer's own SSN is checked in full by :func:`clean_swedish_personal_number` when typed in.
    """
    message = _(
        "The SSN part must be a 12-digit Swedish personal identity number (YYYYMMDDNNNN) or "
        "organisation number."
    )
    if len(value) != 12 or not value.isdigit() or not value.isascii():
        raise ValidationError(message, code="invalid_ssn")
    if value[:2] in ("00", "16"):
        if se_orgnr.is_valid(value[2:]):
            return value
        raise ValidationError(message, code="invalid_ssn")
    try:
        birth_date, _coordination = _swedish_birth_date(value[:8])
    except ValidationError:
        raise ValidationError(message, code="invalid_ssn") from None
    if birth_date > _today():
        raise ValidationError(message, code="invalid_ssn")
    return value


def parse_fmi(value: str) -> Fmi:
    """Read an FMI such as ``194001111111.NB.SE``; the error names the bad part."""
    pieces = _split_identity(value, 3)
    if not pieces:
        raise ValidationError(
            _(
                "An FMI has three parts separated by dots: SSN, bank ID and SE, for example "
                "194001111111.NB.SE."
            ),
            code="invalid_format",
        )
    ssn, bank_id, country = pieces
    ssn = _clean_fmi_ssn(ssn)
    bank_id = _clean_bank_id(bank_id)
    _check_country_code(country)
    return Fmi(ssn=ssn, bank_id=bank_id)


def make_fmi(ssn: str, bank_id: str) -> str:
    """Build an FMI string from a 12-digit SSN (or org number) and the receiver's bank ID."""
    return str(parse_fmi(f"{_strip_whitespace(ssn)}.{_strip_whitespace(bank_id)}.SE"))


def mask_agreement_reference(value: str) -> str:
    """An agreement reference for lists and exports: an FMI's SSN is masked like a national ID.

    ``198112189876.NB.SE`` -> ``19811218-****.NB.SE``; other references come back as they are.
    """
    from .people import mask_national_id

    value = (value or "").strip()
    if not value.upper().endswith(".SE") or value.count(".") != 2:
        return value
    ssn, bank_id, country = value.split(".")
    digits = "".join(ch for ch in ssn if ch.isdigit())
    return f"{mask_national_id(digits)}.{bank_id}.{country}"
