"""CSV exports that spreadsheets open safely and correctly, in one place for every screen.

- Excel with Norwegian or Swedish regional settings splits CSV on semicolons (the comma is their
  decimal separator) and reads a file as UTF-8 only with a byte-order mark; Norwegian and Swedish
  users get exactly that, English users the plain comma-separated file.
- Cells a spreadsheet would run as a formula are neutralised (OWASP CSV injection).
- Dates and times are ISO 8601 in every language (`iso_date`, `iso_datetime`).
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone, translation

# A cell starting with one of these is run as a formula by Excel/LibreOffice (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# Languages whose Excel expects ";" and a byte-order mark.
NORDIC_LANGUAGES = ("nb", "sv")


def csv_cell(value: object) -> str:
    """The value as CSV text, prefixed with ' when a spreadsheet would evaluate it (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def iso_date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def iso_datetime(value: datetime.datetime | None) -> str:
    """Local time, to the minute: 2026-12-04 19:28."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d %H:%M")


def is_nordic(language: str | None = None) -> bool:
    language = language or translation.get_language() or ""
    return language.split("-")[0] in NORDIC_LANGUAGES


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Iterable[object], rows: Iterable[Iterable[object]], *, language: str | None = None
) -> Iterator[str]:
    """The file as text chunks: BOM (Nordic), the header, then each row with cells neutralised."""
    nordic = is_nordic(language)
    writer = csv.writer(_Echo(), delimiter=";" if nordic else ",")
    if nordic:
        yield BOM
    yield writer.writerow([csv_cell(c) for c in header])
    for row in rows:
        yield writer.writerow([csv_cell(c) for c in row])


def csv_response(
    *,
    filename: str,
    header: Iterable[object],
    rows: Iterable[Iterable[object]],
    language: str | None = None,
) -> StreamingHttpResponse:
    """A streamed CSV download (rows may be a lazy iterator over a large queryset)."""
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in csv_lines(header, rows, language=language)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
