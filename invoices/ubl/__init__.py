"""Peppol BIS Billing 3.0 (EHF 3.0 in Norway) UBL 2.1 invoices and credit notes, built with lxml.

`build_ubl(invoice)` takes an Invoice (or a ready `DocumentSnapshot`) and returns the XML bytes.
The builder (`builder.py`) works on a plain dataclass snapshot (`snapshot.py`) so it needs no
database, is fast in bulk runs and is easy to test. A released invoice's snapshot and XML are
frozen on the invoice at release, so its documents never change afterwards; drafts build live.
"""

from __future__ import annotations

from .builder import (
    CUSTOMIZATION_ID,
    F_TAX_TEXT,
    FORETAKSREGISTERET,
    NS_CAC,
    NS_CBC,
    NS_CREDIT_NOTE,
    NS_INVOICE,
    PROFILE_ID,
    build_ubl_from_snapshot,
)
from .snapshot import (
    SCHEME_BY_COUNTRY,
    DocumentSnapshot,
    LineSnapshot,
    PartySnapshot,
    PaymentSnapshot,
    UblError,
    document_snapshot,
    frozen_snapshot,
    payment_snapshot,
    seller_vat_id,
    snapshot,
    snapshot_from_json,
    snapshot_to_json,
    swedish_giro,
)

__all__ = [
    "CUSTOMIZATION_ID",
    "FORETAKSREGISTERET",
    "F_TAX_TEXT",
    "NS_CAC",
    "NS_CBC",
    "NS_CREDIT_NOTE",
    "NS_INVOICE",
    "PROFILE_ID",
    "SCHEME_BY_COUNTRY",
    "DocumentSnapshot",
    "LineSnapshot",
    "PartySnapshot",
    "PaymentSnapshot",
    "UblError",
    "build_ubl",
    "build_ubl_from_snapshot",
    "document_snapshot",
    "frozen_snapshot",
    "payment_snapshot",
    "seller_vat_id",
    "snapshot",
    "snapshot_from_json",
    "snapshot_to_json",
    "swedish_giro",
]


def build_ubl(invoice) -> bytes:
    """The Peppol BIS Billing 3.0 document of an Invoice (or of a DocumentSnapshot).

    A released invoice returns the bytes frozen at release; a draft is built from live data.
    """
    if isinstance(invoice, DocumentSnapshot):
        return build_ubl_from_snapshot(invoice)
    frozen_xml = getattr(invoice, "document_xml", None) if invoice.is_released else None
    if frozen_xml:
        return bytes(frozen_xml)
    return build_ubl_from_snapshot(document_snapshot(invoice))
