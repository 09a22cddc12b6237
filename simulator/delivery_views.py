"""*Network simulator* pages for deliveries: what each simulated receiver got.

Each consumer's online bank (Norway eFaktura, Sweden via FMI), the Billo and Kivra inboxes, the
internal/Peppol/operator receivers, and the print spool. Scoped to the current company's own
documents (the issuer's organisation number), because a real network shows an issuer only its
own traffic. The network layer knows no tenancy models: it reads `request.company`.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render

from b2cportal.identifiers import mask_national_id
from b2cportal.pagination import capped_page, query_string_without_page

from .adapter.delivery import (
    inbox_document,
    inbox_documents,
    print_spool_entries,
    print_spool_file,
)
from .models import InboxKind


def _issuer(request) -> str:
    company = getattr(request, "company", None)
    if company is None:
        raise Http404
    return company.organisation_number


def _masked(recipient: str) -> str:
    """National IDs (11 digits NO, 12 digits SE) are masked; organisation numbers are public."""
    if recipient.isdigit() and len(recipient) in (11, 12):
        return mask_national_id(recipient)
    return recipient


@login_required
def index(request):
    kind = request.GET.get("kind", "")
    recipient = (request.GET.get("recipient") or "").strip()
    issuer = _issuer(request)
    # "Same recipient" links carry a row id, never the national ID itself (URLs end up in logs).
    same_as = request.GET.get("same_as", "")
    if same_as.isdigit():
        item = inbox_document(issuer=issuer, pk=int(same_as))
        if item is None:
            raise Http404
        rows = inbox_documents(issuer=issuer, kind=kind).filter(recipient=item.recipient)
    else:
        same_as = ""
        rows = inbox_documents(issuer=issuer, kind=kind, recipient=recipient)
    page = capped_page(rows, request.GET.get("page"), per_page=100)
    for row in page.object_list:
        row.masked_recipient = _masked(row.recipient)
    return render(
        request,
        "simulator/deliveries/index.html",
        {
            "page": page,
            "query_string": query_string_without_page(request),
            "kinds": InboxKind.choices,
            "kind": kind,
            "recipient": recipient,
            "same_as": same_as,
        },
    )


@login_required
def document(request, pk: int):
    item = inbox_document(issuer=_issuer(request), pk=pk)
    if item is None:
        raise Http404
    return HttpResponse(bytes(item.content), content_type=item.content_type)


@login_required
def print_spool(request):
    entries = print_spool_entries(issuer=_issuer(request))
    return render(request, "simulator/deliveries/print_spool.html", {"entries": entries})


@login_required
def print_spool_pdf(request, document: uuid.UUID):
    path = print_spool_file(issuer=_issuer(request), document_uuid=document)
    if path is None:
        raise Http404
    return FileResponse(
        open(path, "rb"), content_type="application/pdf", filename=path.name, as_attachment=False
    )
