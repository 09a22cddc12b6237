"""The failed rows of a batch as CSV, in the import's own column set, to fix and re-upload.

Nordic Excel expects `;` between cells (the decimal separator is the comma) and a UTF-8 BOM to
read the file as UTF-8, so nb/sv users get exactly that; others get `,` (with the BOM as well,
which every spreadsheet reads). Formula characters are neutralised (`csv_cell`), and the
importer strips that guard again on re-upload.
"""

from __future__ import annotations

import csv
import io

from b2cportal.csv_export import csv_cell

from .models import BatchFormat, InvoiceBatch, RowStatus
from .services import CSV_COLUMNS

NORDIC_LANGUAGES = {"nb", "sv"}


def _delimiter(language: str) -> str:
    return ";" if (language or "")[:2] in NORDIC_LANGUAGES else ","


def _json_row_as_csv(data: dict) -> list[dict]:
    header = {
        "invoice_ref": data.get("reference", ""),
        "customer_number": data.get("customer_number", ""),
        "issue_date": data.get("issue_date", ""),
        "due_date": data.get("due_date", ""),
        "buyer_reference": data.get("buyer_reference", ""),
        "note": data.get("note", ""),
    }
    lines = data.get("lines") if isinstance(data.get("lines"), list) else []
    out = []
    for line in lines or [{}]:
        line = line if isinstance(line, dict) else {}
        out.append({**header, **{k: line.get(k, "") for k in CSV_COLUMNS[6:]}})
    return out


def _errors_text(errors: list[dict]) -> str:
    return " | ".join(f"{e.get('field', '')}: {e.get('message', '')}" for e in errors)


def error_rows_csv(*, batch: InvoiceBatch, language: str) -> bytes:
    """The batch's failed rows: the import columns plus `errors` (UBL batches: file + errors)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=_delimiter(language))
    failed = batch.rows.filter(status=RowStatus.FAILED).order_by("index")
    if batch.format == BatchFormat.UBL:
        writer.writerow(["file", "errors"])
        for row in failed.iterator():
            writer.writerow([csv_cell(row.reference), csv_cell(_errors_text(row.errors))])
    else:
        writer.writerow([*CSV_COLUMNS, "errors"])
        for row in failed.iterator():
            data = row.data if isinstance(row.data, dict) else {}
            lines = data.get("csv") or _json_row_as_csv(data)
            for line in lines:
                writer.writerow(
                    [csv_cell(line.get(name, "")) for name in CSV_COLUMNS]
                    + [csv_cell(_errors_text(row.errors))]
                )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
