"""Sales invoice screens (AR301000): list, draft editing, release, credit notes, documents."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from b2cportal.companies.permissions import ANY_ROLE, EDITORS, company_member_required, has_role
from b2cportal.pagination import capped_page, query_string_without_page
from routing.selectors import sending_panel

from . import selectors, services
from .calc import compute_totals
from .forms import (
    MAX_CREDIT_PAGE_LINES,
    MAX_FORM_LINES,
    CreditNoteForm,
    InvoiceFilterForm,
    InvoiceHeaderForm,
    LineFormSet,
)
from .models import Invoice

PAGE_SIZE = 25


def _invoice(request, pk: int) -> Invoice:
    return get_object_or_404(
        # customer__company: the agreement warning reads the customer's company's preferences.
        selectors.invoices_of(company=request.company).select_related(
            "company", "branch", "customer__company", "credited_invoice"
        ),
        pk=pk,
    )


@company_member_required(roles=ANY_ROLE)
def invoice_list(request):
    form = InvoiceFilterForm(request.GET or None, company=request.company)
    rows = selectors.invoice_list(
        company=request.company, filters=form.cleaned_data if form.is_valid() else {}
    ).only(*selectors.LIST_COLUMNS)
    if form.is_bound and not form.is_valid():
        # A filter that cannot be applied shows its error and no rows, never an unfiltered list
        # that looks like the answer.
        rows = rows.none()
    return render(
        request,
        "invoices/invoice_list.html",
        {
            "form": form,
            "page": capped_page(rows, request.GET.get("page"), per_page=PAGE_SIZE),
            "query_string": query_string_without_page(request),
            "can_edit": has_role(request, EDITORS),
        },
    )


@company_member_required(roles=ANY_ROLE)
def customer_search(request):
    """JSON for the customer-number autocomplete: `{"results": [{"number", "name"}, ...]}`."""
    rows = selectors.customer_search(company=request.company, q=request.GET.get("q", ""))
    return JsonResponse({"results": rows})


def _line_initial(invoice: Invoice) -> list[dict]:
    return [
        {
            "description": line.description,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "vat_category": line.vat_category,
            "vat_rate": f"{line.vat_rate:.2f}",
            "exemption_reason": line.exemption_reason,
        }
        for line in invoice.lines.all()
    ]


def _line_kwargs(company) -> dict:
    return {"country": company.country, "vat_registered": company.vat_registered}


def _edit(request, invoice: Invoice | None):
    company = request.company
    credit = invoice is not None and invoice.is_credit_note
    if request.method == "POST":
        header = InvoiceHeaderForm(request.POST, company=company)
        formset = (
            None if credit else LineFormSet(request.POST, prefix="lines", **_line_kwargs(company))
        )
        if header.is_valid() and (formset is None or formset.is_valid()):
            data = header.cleaned_data
            try:
                if invoice is None:
                    assert formset is not None  # a new invoice is never a credit note
                    invoice = services.create_draft(
                        company=company,
                        branch=request.branch,
                        customer=data["customer"],
                        issue_date=data["issue_date"],
                        due_date=data["due_date"],
                        buyer_reference=data["buyer_reference"],
                        note=data["note"],
                        lines=formset.line_inputs(),
                        acting_user=request.user,
                    )
                else:
                    invoice = services.update_draft(
                        invoice=invoice,
                        acting_user=request.user,
                        customer=data["customer"],
                        issue_date=data["issue_date"],
                        due_date=data["due_date"],
                        buyer_reference=data["buyer_reference"],
                        note=data["note"],
                        lines=None if formset is None else formset.line_inputs(),
                    )
            except services.InvoiceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Draft saved."))
                return redirect(invoice)
    elif invoice is None:
        today = timezone.localdate()
        header = InvoiceHeaderForm(
            company=company,
            initial={"issue_date": today, "due_date": today + datetime.timedelta(days=14)},
        )
        formset = LineFormSet(prefix="lines", **_line_kwargs(company))
    else:
        header = InvoiceHeaderForm(
            company=company,
            initial={
                "customer": invoice.customer,
                "issue_date": invoice.issue_date,
                "due_date": invoice.due_date,
                "buyer_reference": invoice.buyer_reference,
                "note": invoice.note,
            },
        )
        formset = (
            None
            if credit
            else LineFormSet(
                initial=_line_initial(invoice), prefix="lines", **_line_kwargs(company)
            )
        )
    return render(
        request,
        "invoices/invoice_form.html",
        {"invoice": invoice, "header": header, "formset": formset, "max_lines": MAX_FORM_LINES},
    )


@company_member_required(roles=EDITORS)
def invoice_create(request):
    return _edit(request, None)


@company_member_required(roles=EDITORS)
def invoice_edit(request, pk: int):
    invoice = _invoice(request, pk)
    if invoice.is_released:
        messages.error(
            request, _("Released invoices cannot be changed; create a credit note instead.")
        )
        return redirect(invoice)
    return _edit(request, invoice)


@company_member_required(roles=ANY_ROLE)
def invoice_detail(request, pk: int):
    return _render_detail(request, _invoice(request, pk), None)


def _render_detail(request, invoice: Invoice, report):
    from .history import invoice_timeline
    from .ubl import frozen_snapshot

    # Plain rows, not model instances: the page must stay fast for invoices of 5,000 lines.
    lines = selectors.line_rows(invoice=invoice)
    frozen = frozen_snapshot(invoice)
    return render(
        request,
        "invoices/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": lines,
            "vat_groups": compute_totals(lines, invoice.vat_overrides).groups,
            "report": report,
            # A released invoice shows the address it was sent to, not today's.
            "buyer": frozen.buyer if frozen else None,
            "can_edit": has_role(request, EDITORS),
            "credit_notes": invoice.credit_notes.all() if not invoice.is_credit_note else [],
            "timeline": invoice_timeline(invoice),
            # The screen composes routing's block (DESIGN §2): the route preview looks the
            # receiver up on the network, so it is read here, before rendering.
            "sending": sending_panel(invoice=invoice),
        },
    )


@require_POST
@company_member_required(roles=EDITORS)  # records a validation event: a write, not for support
def invoice_validate(request, pk: int):
    invoice = _invoice(request, pk)
    report = selectors.validation_report(invoice=invoice)
    services.record_validation(
        invoice=invoice,
        acting_user=request.user,
        fatal=len(report.fatal),
        warnings=len(report.warnings),
    )
    return _render_detail(request, invoice, report)


@require_POST
@company_member_required(roles=EDITORS)
def invoice_release(request, pk: int):
    invoice = _invoice(request, pk)
    try:
        services.release_invoice(invoice=invoice, released_by=request.user)
    except services.InvoiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Released as number %(number)s.") % {"number": invoice.number})
    return redirect(invoice)


@require_POST
@company_member_required(roles=EDITORS)
def invoice_delete(request, pk: int):
    invoice = _invoice(request, pk)
    try:
        services.delete_draft(invoice=invoice, acting_user=request.user)
    except services.InvoiceError as exc:
        messages.error(request, str(exc))
        return redirect(invoice)
    messages.success(request, _("Draft deleted."))
    return redirect("invoices:list")


@company_member_required(roles=EDITORS)
def credit_note_create(request, pk: int):
    invoice = _invoice(request, pk)
    try:
        services.ensure_creditable(invoice=invoice)
    except services.InvoiceError as exc:
        messages.error(request, str(exc))
        return redirect(invoice)
    lines = list(invoice.lines.all())
    remaining = services.remaining_quantities(invoice, lines=lines)
    # Past the page's limit only a full credit is offered: one quantity per line would not fit.
    in_full = len(lines) > MAX_CREDIT_PAGE_LINES
    form = CreditNoteForm(request.POST or None, lines=[] if in_full else lines, remaining=remaining)
    if request.method == "POST" and form.is_valid():
        try:
            credit = services.create_credit_note(
                invoice=invoice,
                acting_user=request.user,
                quantities=None if in_full else form.quantities(),
                note=form.cleaned_data["note"],
            )
        except services.InvoiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Credit note draft created; check and release it."))
            return redirect(credit)
    return render(
        request,
        "invoices/credit_note_form.html",
        {
            "invoice": invoice,
            "form": form,
            "line_count": len(lines),
            "in_full": in_full,
            "max_lines": MAX_CREDIT_PAGE_LINES,
        },
    )


def _document_name(invoice: Invoice, extension: str) -> str:
    label = "creditnote" if invoice.is_credit_note else "invoice"
    return f"{label}-{invoice.number or f'draft-{invoice.pk}'}.{extension}"


@company_member_required(roles=ANY_ROLE)
def invoice_xml(request, pk: int):
    from .ubl import UblError, build_ubl

    try:
        invoice = selectors.invoice_for_document(company=request.company, pk=pk)
    except Invoice.DoesNotExist as exc:
        raise Http404 from exc
    try:
        xml = build_ubl(invoice)
    except UblError as exc:
        messages.error(request, str(exc))
        return redirect(invoice)
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{_document_name(invoice, "xml")}"'
    return response


@company_member_required(roles=ANY_ROLE)
def invoice_pdf(request, pk: int):
    from .pdf import build_pdf

    try:
        invoice = selectors.invoice_for_document(company=request.company, pk=pk)
    except Invoice.DoesNotExist as exc:
        raise Http404 from exc
    response = HttpResponse(build_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_document_name(invoice, "pdf")}"'
    return response
