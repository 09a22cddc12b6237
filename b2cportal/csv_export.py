"""CSV exports that spreadsheets open safely."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by Excel/LibreOffice (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """The value as CSV text, prefixed with ' when a spreadsheet would evaluate it (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
