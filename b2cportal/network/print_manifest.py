"""The print service's daily batch manifest: one definition for who writes it and who reads it.

The print transport (routing) spools each PDF to `<PRINT_SPOOL_DIR>/<YYYY-MM-DD>/` and appends a
line naming it to that folder's `manifest.csv`; the print service prints what a line names (the
simulator's *Print spool* page reads the same lines). The file has no header row: the print
service reads the columns in the order of `ManifestLine`'s fields.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import TextIO

MANIFEST_NAME = "manifest.csv"


@dataclass(frozen=True)
class ManifestLine:
    file: str  # the PDF's file name in the manifest's folder: "<document UUID>.pdf"
    issuer: str  # the sender's organisation number
    number: str  # the invoice number
    name: str  # the recipient's postal address ...
    address: str
    postcode: str
    city: str
    country: str


COLUMNS = tuple(field.name for field in fields(ManifestLine))


def write_line(handle: TextIO, line: ManifestLine) -> None:
    """Append one line (the caller holds the file's lock)."""
    csv.DictWriter(handle, fieldnames=COLUMNS).writerow(asdict(line))


def read_lines(handle: TextIO) -> Iterator[ManifestLine]:
    """The complete lines of a manifest; a short (broken) line is skipped, extra columns are
    ignored."""
    for row in csv.DictReader(handle, fieldnames=COLUMNS):
        values = {column: row[column] for column in COLUMNS}
        if None not in values.values():
            yield ManifestLine(**values)
