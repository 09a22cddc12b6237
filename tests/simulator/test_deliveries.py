"""The *Network simulator* delivery pages: spooled PDFs open, national IDs stay masked."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from simulator.adapter.delivery import print_spool_file
from simulator.models import InboxDocument
from tests.routing.builders import make_open_invoice

pytestmark = pytest.mark.django_db


def _print(company, user, capture):
    from routing import services
    from routing.models import Delivery

    invoice = make_open_invoice(
        company=company, address_line1="Storgata 9", postcode="0155", city="Oslo"
    )
    with capture(execute=True):
        services.send_invoice(invoice=invoice, acting_user=user)
    return invoice, Delivery.objects.get(invoice=invoice)


def test_print_spool_links_each_pdf_and_serves_it_to_the_issuer_only(
    client, company_no, accountant_no, accountant_se, django_capture_on_commit_callbacks
):
    _invoice, delivery = _print(company_no, accountant_no, django_capture_on_commit_callbacks)
    url = reverse("simulator_deliveries:print_spool_pdf", args=[delivery.external_id])
    client.force_login(accountant_no)
    spool = client.get(reverse("simulator_deliveries:print_spool")).content.decode()
    assert f'href="{url}"' in spool
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # Bad input: another company, and a UUID that is in no manifest, get a 404.
    client.force_login(accountant_se)
    assert client.get(url).status_code == 404
    client.force_login(accountant_no)
    other = reverse("simulator_deliveries:print_spool_pdf", args=[uuid.uuid4()])
    assert client.get(other).status_code == 404


def test_print_spool_file_ignores_files_missing_from_the_manifest(settings, tmp_path):
    """A PDF lying in the spool without this issuer's manifest line is never served."""
    settings.PRINT_SPOOL_DIR = tmp_path
    day = tmp_path / "2026-11-20"
    day.mkdir()
    document = uuid.uuid4()
    (day / f"{document}.pdf").write_bytes(b"%PDF-1.4")
    (day / "manifest.csv").write_text(f"{document}.pdf,999999999,1,A,B,0155,Oslo,NO\n")
    assert print_spool_file(issuer="999999999", document_uuid=document) == day / f"{document}.pdf"
    assert print_spool_file(issuer="123456785", document_uuid=document) is None
    assert print_spool_file(issuer="999999999", document_uuid="../../etc/passwd") is None


def test_simulator_inbox_masks_national_ids(client, company_no, accountant_no):
    ssn = "18128122229"
    for n in (1, 2):
        InboxDocument.objects.create(
            document_uuid=uuid.uuid4(),
            kind="efaktura",
            recipient=ssn,
            recipient_name="Kari Nordmann",
            issuer_identifier=company_no.organisation_number,
            document_number=str(n),
            content_type="application/xml",
            content=b"<Invoice/>",
        )
    InboxDocument.objects.create(
        document_uuid=uuid.uuid4(),
        kind="efaktura",
        recipient="01018012345",
        recipient_name="Ola Nordmann",
        issuer_identifier=company_no.organisation_number,
        document_number="3",
        content_type="application/xml",
        content=b"<Invoice/>",
    )
    client.force_login(accountant_no)
    page = client.get(reverse("simulator_deliveries:index")).content.decode()
    assert ssn not in page
    assert "181281*****" in page
    first = InboxDocument.objects.filter(recipient=ssn).first()
    same = client.get(reverse("simulator_deliveries:index"), {"same_as": first.pk})
    assert same.content.decode().count('data-testid="sim-inbox-row"') == 2
    assert ssn not in same.content.decode()
    # Bad input: a row id of nobody's (or another company's) document is a 404.
    assert client.get(reverse("simulator_deliveries:index"), {"same_as": 999999}).status_code == 404
