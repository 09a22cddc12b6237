"""*Network simulator* pages for deliveries: what each simulated receiver got.

Each consumer's online bank (Norway eFaktura, Sweden via FMI), the Billo and Kivra inboxes, the
internal/Peppol/operator receivers, and the print spool. Scoped to the current company's own
documents (the issuer's organisation number), because a real network shows an issuer only its
own traffic. The network layer knows no tenancy models: it reads `request.company`.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from .models import InboxKind
from .simulated.delivery import inbox_document, inbox_documents, print_spool_entries


def _issuer(request) -> str:
    company = getattr(request, "company", None)
    if company is None:
        raise Http404
    return company.organisation_number


@login_required
def index(request):
    kind = request.GET.get("kind", "")
    recipient = (request.GET.get("recipient") or "").strip()
    rows = inbox_documents(issuer=_issuer(request), kind=kind, recipient=recipient)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "network/deliveries/index.html",
        {"page": page, "kinds": InboxKind.choices, "kind": kind, "recipient": recipient},
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
    return render(request, "network/deliveries/print_spool.html", {"entries": entries})
