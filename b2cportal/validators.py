"""Input checks shared by every app's forms: text that would break an XML document is refused early.

XML 1.0 allows tab, newline, carriage return, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF.
Anything else (C0 control characters, lone surrogates, U+FFFE/U+FFFF) cannot be written into a
UBL document, so it must be stopped at the form with the field named, not inside a bulk run.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def first_xml_illegal(value: str) -> str | None:
    """The first character XML 1.0 cannot carry, or None."""
    match = _XML_ILLEGAL.search(value)
    return match.group(0) if match else None


def validate_xml_text(value: object) -> None:
    """Django validator: refuse characters that XML 1.0 cannot carry."""
    if not isinstance(value, str):
        return
    bad = first_xml_illegal(value)
    if bad is not None:
        raise ValidationError(
            _("Contains a character that cannot be sent in an e-invoice (code U+%(code)04X)."),
            code="xml_illegal",
            params={"code": ord(bad)},
        )
