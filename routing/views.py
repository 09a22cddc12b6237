"""Sending screens: send one invoice, bulk send with progress, the monthly billing report."""

from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from b2cportal.companies.permissions import ANY_ROLE, EDITORS, company_member_required, has_role
from b2cportal.companies.selectors import branches_of
from b2cportal.companies.wording import operator_name
from b2cportal.csv_export import csv_response
from b2cportal.pagination import capped_page
from invoices.models import Invoice

from . import selectors, services
from .decision import BillingAction
from .forms import BillingReportForm, BulkFilterForm
from .models import BulkSend

BULK_PAGE_SIZE = 200


def _invoice(request, pk: int) -> Invoice:
    return get_object_or_404(Invoice.objects.filter(company=request.company), pk=pk)


def _back(request, invoice: Invoice):
    target = request.POST.get("next") or invoice.get_absolute_url()
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = invoice.get_absolute_url()
    return redirect(target)


@company_member_required(roles=EDITORS)
def send(request, pk: int):
    """POST sends; GET shows the route it would take and a confirm button (works without JS)."""
    invoice = _invoice(request, pk)
    if request.method != "POST":
        return _confirm(request, invoice, "send")
    try:
        services.send_invoice(invoice=invoice, acting_user=request.user)
    except services.RoutingError as exc:
        messages.error(request, str(exc))
    else:
        # Sending is queued (the outbox), the same whether the broker is up or not: say so,
        # and name the document and the operator.
        values = {"number": invoice.number, "operator": operator_name(request.company)}
        if invoice.is_credit_note:
            text = _("Credit note %(number)s is queued for sending to %(operator)s.") % values
        else:
            text = _("Invoice %(number)s is queued for sending to %(operator)s.") % values
        messages.success(request, text)
    return _back(request, invoice)


@company_member_required(roles=EDITORS)  # polling can re-queue a delivery: not for support
def poll(request, pk: int):
    invoice = _invoice(request, pk)
    if request.method != "POST":
        return _confirm(request, invoice, "poll")
    delivery = services.poll_invoice_status(invoice=invoice, acting_user=request.user)
    if delivery is None:
        messages.info(request, _("This invoice has not been sent yet."))
    else:
        messages.info(request, _("Status: %(status)s") % {"status": delivery.get_status_display()})
    return _back(request, invoice)


@require_POST
@company_member_required(roles=EDITORS)  # support reads only
def reroute(request, pk: int):
    """*Re-route* by email or print: the buttons post the delivery and status the user saw."""
    invoice = _invoice(request, pk)
    seen = request.POST.get("delivery", "")
    try:
        services.reroute_invoice(
            invoice=invoice,
            route=request.POST.get("route", ""),
            acting_user=request.user,
            seen_delivery_id=int(seen) if seen.isdigit() else None,
            seen_status=request.POST.get("status", ""),
        )
    except services.RoutingError as exc:
        messages.error(request, str(exc))
    else:
        if request.POST.get("route") == "email":
            text = _("Re-routed: %(number)s goes by email to %(email)s.")
        else:
            text = _("Re-routed: %(number)s goes to print and is sent by post.")
        messages.success(
            request, text % {"number": invoice.number, "email": invoice.customer.email}
        )
    return _back(request, invoice)


def _confirm(request, invoice: Invoice, action: str):
    return render(
        request,
        "routing/confirm.html",
        {
            "invoice": invoice,
            "action": action,
            "sending": selectors.sending_panel(invoice=invoice),
            "can_send": has_role(request, EDITORS),
        },
    )


def _filtered(request, form: BulkFilterForm):
    if not form.is_valid():
        return Invoice.objects.none()
    data = form.cleaned_data
    return selectors.filter_sendable_invoices(
        company=request.company,
        branch=data.get("branch"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        customer=data.get("customer") or "",
        kind=data.get("kind") or "",
    )


@company_member_required(roles=EDITORS)
def bulk(request):
    branches = branches_of(company=request.company)
    # The filter always travels in the query string, also on the POST that sends.
    params = request.GET.copy()
    params.pop("page", None)
    form = BulkFilterForm(params, branches=branches)
    rows = _filtered(request, form)
    if request.method == "POST":
        if request.POST.get("scope") == "all":
            ids = list(rows.values_list("pk", flat=True))
        else:
            ids = [int(i) for i in request.POST.getlist("invoice") if i.isdigit()]
        if not ids:
            messages.error(request, _("Select at least one invoice or credit note."))
        else:
            result = services.send_invoices(
                company=request.company,
                invoice_ids=ids,
                acting_user=request.user,
                branch=form.cleaned_data.get("branch") if form.is_valid() else None,
            )
            return redirect("routing:bulk_detail", pk=result.pk)
    # Exact: "Select all N matching" sends N documents. One COUNT, reused by the pager.
    total = rows.count()
    page = capped_page(rows, request.GET.get("page"), per_page=BULK_PAGE_SIZE, total=total)
    return render(
        request,
        "routing/bulk_send.html",
        {"form": form, "page": page, "total": total, "query_string": params.urlencode()},
    )


def _bulk(request, pk: int) -> BulkSend:
    return get_object_or_404(BulkSend.objects.filter(company=request.company), pk=pk)


@company_member_required(roles=ANY_ROLE)
def bulk_detail(request, pk: int):
    bulk_send = _bulk(request, pk)
    progress = selectors.bulk_progress(bulk=bulk_send)
    page = capped_page(
        selectors.bulk_deliveries(bulk=bulk_send), request.GET.get("page"), per_page=500
    )
    return render(
        request,
        "routing/bulk_detail.html",
        {"bulk": bulk_send, "progress": progress, "page": page},
    )


@company_member_required(roles=ANY_ROLE)
def bulk_status(request, pk: int):
    return JsonResponse(selectors.bulk_progress(bulk=_bulk(request, pk)))


@company_member_required(roles=ANY_ROLE)
def billing(request):
    branches = branches_of(company=request.company)
    form = BillingReportForm(request.GET or {}, branches=branches)
    rows: list[dict] = []
    month = None
    if form.is_valid():
        month = form.cleaned_data["month"]
        branch = form.cleaned_data.get("branch")
        rows = selectors.billing_report(
            company=request.company,
            year=month.year,
            month=month.month,
            branch_id=branch.pk if branch else None,
        )
        labels = dict(BillingAction.choices)
        for row in rows:
            row["billing_action_label"] = str(
                labels.get(row["billing_action"], row["billing_action"])
            )
    if request.GET.get("format") == "csv" and month is not None:
        return csv_response(
            filename=f"billing-{month:%Y-%m}.csv",
            header=[
                _("Company"),
                _("Month"),
                _("Branch"),
                _("Billing action"),
                _("Billing code"),
                _("Count"),
            ],
            rows=(
                [
                    request.company.name,
                    f"{month:%Y-%m}",
                    f"{row['branch__branch_id']} {row['branch__name']}",
                    row["billing_action_label"],
                    row["billing_action"],
                    row["count"],
                ]
                for row in rows
            ),
        )
    total = sum(r["count"] for r in rows)
    csv_url = reverse("routing:billing") + "?" + request.GET.urlencode() + "&format=csv"
    return render(
        request,
        "routing/billing.html",
        {"form": form, "rows": rows, "total": total, "month": month, "csv_url": csv_url},
    )
