"""*Network simulator* pages for deliveries: what each simulated receiver got.

Each consumer's online bank (Norway eFaktura, Sweden via FMI), the Billo and Kivra inboxes, the
internal/Peppol/operator receivers, and the print spool. Scoped to the current company's own
documents (the issuer's organisation number), because a real network shows an issuer only its
own traffic. The network layer knows no tenancy models: it reads `request.company`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import InboxDocument, InboxKind


def _issuer(request) -> str:
    company = getattr(request, "company", None)
    if company is None:
        raise Http404
    return company.organisation_number


@login_required
def index(request):
    issuer = _issuer(request)
    kind = request.GET.get("kind", "")
    recipient = (request.GET.get("recipient") or "").strip()
    rows = InboxDocument.objects.filter(issuer_identifier=issuer).defer("content")
    if kind in InboxKind.values:
        rows = rows.filter(kind=kind)
    if recipient:
        rows = rows.filter(recipient=recipient)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "network/deliveries/index.html",
        {"page": page, "kinds": InboxKind.choices, "kind": kind, "recipient": recipient},
    )


@login_required
def document(request, pk: int):
    item = get_object_or_404(
        InboxDocument.objects.filter(issuer_identifier=_issuer(request)), pk=pk
    )
    return HttpResponse(bytes(item.content), content_type=item.content_type)


@login_required
def print_spool(request):
    issuer = _issuer(request)
    entries = []
    root = Path(str(settings.PRINT_SPOOL_DIR))
    if root.exists():
        for manifest in sorted(root.glob("*/manifest.csv"), reverse=True)[:31]:
            with open(manifest, newline="", encoding="utf-8") as handle:
                for row in csv.reader(handle):
                    if len(row) >= 8 and row[1] == issuer:
                        entries.append(
                            {
                                "day": manifest.parent.name,
                                "file": row[0],
                                "number": row[2],
                                "name": row[3],
                                "address": row[4],
                                "postcode": row[5],
                                "city": row[6],
                                "country": row[7],
                            }
                        )
    return render(request, "network/deliveries/print_spool.html", {"entries": entries[:1000]})
