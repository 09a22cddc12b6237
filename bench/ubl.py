"""UBL build speed: our lxml builder vs factur-x's UBL generator, plus PDF render time.

Builds the same two-line Norwegian invoice 1,000 times with each (both from plain data, no
database, no schema checks inside the timed loop), validates ours once (XSD + CEN + Peppol when
EINVOICE_RULES_DIR is set), and renders PDFs. Last line: `ubl_speedup_vs_facturx: <ratio>`.

    DATABASE_URL=postgres://... EINVOICE_RULES_DIR=../shared/validation/peppol-bis3-2026.5 \
        .venv/bin/python bench/ubl.py
"""

from __future__ import annotations

import gc
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b2cportal.settings")

# Like every benchmark here, measure on the production database engine.
if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    sys.exit("bench/ubl.py needs DATABASE_URL pointing at PostgreSQL")

import django

django.setup()

from facturx import generate_xml  # noqa: E402

from invoices.pdf import render_pdf  # noqa: E402
from invoices.ubl import (  # noqa: E402
    DocumentSnapshot,
    LineSnapshot,
    PartySnapshot,
    PaymentSnapshot,
    build_ubl,
)
from invoices.validation import validate_document  # noqa: E402

N = int(os.environ.get("BENCH_N", "1000"))
PDF_N = int(os.environ.get("BENCH_PDF_N", "200"))


def our_snapshot() -> DocumentSnapshot:
    return DocumentSnapshot(
        is_credit_note=False,
        number="10042",
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 11, 16),
        currency="NOK",
        seller=PartySnapshot(
            name="Fjordtech AS",
            country="NO",
            address_line1="Storgata 1",
            postcode="0155",
            city="Oslo",
            organisation_number="923609016",
            vat_id="NO923609016MVA",
            endpoint_scheme="0192",
            endpoint_id="923609016",
        ),
        buyer=PartySnapshot(
            name="Kunde AS",
            country="NO",
            address_line1="Kundeveien 2",
            postcode="5003",
            city="Bergen",
            organisation_number="974760673",
            endpoint_scheme="0192",
            endpoint_id="974760673",
        ),
        lines=(
            LineSnapshot(
                1, "Consulting", Decimal("2"), "HUR", Decimal("1000.00"), "S", Decimal("25")
            ),
            LineSnapshot(2, "Food", Decimal("3"), "EA", Decimal("33.33"), "S", Decimal("15")),
        ),
        buyer_reference="10001",
        payment=PaymentSnapshot(account_id="86011117947", payment_id="100010100422"),
    )


def facturx_dict() -> dict:
    return {
        "BT-1": "10042",
        "BT-2": date(2026, 11, 2),
        "BT-3": "380",
        "BT-5": "NOK",
        "BT-9": date(2026, 11, 16),
        "BT-10": "10001",
        "BT-24": "urn:cen.eu:en16931:2017",
        "BT-81": "30",
        "BT-83": "100010100422",
        "BT-84": "86011117947",
        "BT-106": 2099.99,
        "BT-109": 2099.99,
        "BT-110": 515.00,
        "BT-112": 2614.99,
        "BT-115": 2614.99,
        "BG-4": {
            "name": "Fjordtech AS",
            "legal_identifier": "923609016",
            "legal_identifier_schemeid": "0192",
            "vat_identifier": "NO923609016MVA",
            "einvoicing_addr": "923609016",
            "einvoicing_addr_schemeid": "0192",
            "country_code": "NO",
            "addr_l1": "Storgata 1",
            "postcode": "0155",
            "city": "Oslo",
        },
        "BG-7": {
            "name": "Kunde AS",
            "legal_identifier": "974760673",
            "legal_identifier_schemeid": "0192",
            "einvoicing_addr": "974760673",
            "einvoicing_addr_schemeid": "0192",
            "country_code": "NO",
            "addr_l1": "Kundeveien 2",
            "postcode": "5003",
            "city": "Bergen",
        },
        "BG-23": [
            {"BT-116": 2000.00, "BT-117": 500.00, "BT-118": "S", "BT-119": 25.0},
            {"BT-116": 99.99, "BT-117": 15.00, "BT-118": "S", "BT-119": 15.0},
        ],
        "BG-25": [
            {
                "BT-126": "1",
                "BT-129": 2.0,
                "BT-130": "HUR",
                "BT-131": 2000.00,
                "BT-146": 1000.00,
                "BT-151": "S",
                "BT-152": 25.0,
                "BT-153": "Consulting",
            },
            {
                "BT-126": "2",
                "BT-129": 3.0,
                "BT-130": "EA",
                "BT-131": 99.99,
                "BT-146": 33.33,
                "BT-151": "S",
                "BT-152": 15.0,
                "BT-153": "Food",
            },
        ],
    }


def timed(fn, n: int) -> float:
    # Like timeit: no garbage collection inside the timed loop, for both builders alike.
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def main() -> None:
    ours_xml = build_ubl(our_snapshot())
    report = validate_document(ours_xml, kind="invoice")
    if not report.is_valid:
        raise SystemExit(
            f"our document is invalid: {[(f.rule_id, f.message) for f in report.fatal]}"
        )
    print(f"our document valid: stages {'+'.join(report.stages)}, warnings {len(report.warnings)}")
    generate_xml(facturx_dict(), flavor="ubl-2.1", check_xsd=False, check_schematron=False)

    # Interleave blocks of both so load from other processes on the machine hits both alike.
    ours = theirs = 0.0
    block = max(N // 10, 1)
    for _ in range(N // block):
        ours += timed(lambda: build_ubl(our_snapshot()), block)
        theirs += timed(
            lambda: generate_xml(
                facturx_dict(), flavor="ubl-2.1", check_xsd=False, check_schematron=False
            ),
            block,
        )
    snapshot = our_snapshot()
    render_pdf(snapshot, language="nb")
    pdf = timed(lambda: render_pdf(snapshot, language="nb"), PDF_N)
    db = django.db.connection.vendor
    print(f"database: {db}")
    print(f"ours: {N} documents in {ours * 1000:.1f} ms ({ours / N * 1e6:.1f} us/document)")
    print(f"factur-x: {N} documents in {theirs * 1000:.1f} ms ({theirs / N * 1e6:.1f} us/document)")
    print(f"pdf_ms_per_invoice: {pdf / PDF_N * 1000:.2f}")
    print(f"ubl_speedup_vs_facturx: {theirs / ours:.2f}")


if __name__ == "__main__":
    main()
