from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from b2cportal.companies.models import Company
from b2cportal.companies.permissions import (
    ADMINISTRATORS,
    ANY_ROLE,
    EDITORS,
    company_member_required,
    has_role,
)
from b2cportal.csv_export import csv_response, iso_datetime
from b2cportal.customers.models import Customer
from b2cportal.identifiers import mask_agreement_reference
from b2cportal.network.adapter import InboundError, NotSupportedByNetwork, get_network
from b2cportal.pagination import capped_page
from b2cportal.search_stash import search_params, stash_search
from routing.models import DeliveryStatus
from routing.selectors import deliveries_of
from routing.services import settle_holds_for_customer

from . import services
from .forms import SupportFilterForm
from .models import (
    STATUSES_BY_COUNTRY,
    AgreementNetwork,
    AgreementSource,
    AgreementStatus,
    ConsumerAgreement,
)
from .selectors import (
    SIMULATED_REQUESTS_LIMIT,
    agreements_for_support,
    customers_wanting_einvoice_without_agreement,
    recent_consumer_requests,
    status_counts,
    support_page_queryset,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# How each refusal of an inbound event maps to HTTP.
INBOUND_STATUS = {
    "replay": 409,
    "malformed": 400,
    "unknown_issuer": 404,
    "unknown_branch": 404,
    "unknown_customer": 404,
    "refused": 422,
    "invalid_transition": 409,
}


# --- Inbound endpoint (called by the network) ----------------------------------------------


def _settle_held_invoices(*, customer: Customer, acting_user: User | None) -> None:
    """The customer's agreement changed: held invoices go on at once (DESIGN §5) — to the bank
    when it is ACTIVE, by email or print when it was declined or failed. Agreements' services
    may not import routing (a higher app), so the view composes the two (DESIGN §2); routing's
    periodic task stays as the safety net."""
    # Almost every activation has nothing held: one read spares the write transaction (which
    # halved inbound throughput in bench/agreements.py).
    held = deliveries_of(company=Company(pk=customer.company_id)).filter(
        status=DeliveryStatus.HELD, invoice__customer_id=customer.pk
    )
    if not held.exists():
        return
    try:
        settle_holds_for_customer(customer=customer, acting_user=acting_user)
    except Exception:
        # The agreement change is committed and must be answered as such (a network that saw
        # an error would resend the event); the periodic release picks the holds up.
        logger.exception("Settling held invoices of customer %s failed", customer.pk)


@csrf_exempt
@require_POST
def inbound(request):
    """Agreement events the network sends us. The adapter authenticates the request and turns
    it into our own `AgreementEvent`s (`Network.parse_inbound`); we apply them here."""
    try:
        events = get_network().parse_inbound(request)
    except NotSupportedByNetwork as exc:
        raise Http404("This network sends no agreement events.") from exc
    except InboundError as exc:
        body: dict[str, Any] = {"error": str(exc), "code": exc.code}
        if exc.fields:
            body["fields"] = exc.fields
        return JsonResponse(body, status=exc.http_status)
    outcome = None
    for event in events:
        try:
            outcome = services.apply_inbound_event(event=event)
        except services.AgreementError as exc:
            return JsonResponse(
                {"error": str(exc), "code": exc.code}, status=INBOUND_STATUS.get(exc.code, 422)
            )
        if outcome.customer_id is not None and outcome.holds_possible:
            assert outcome.company_id is not None  # set with the customer
            # Only ids are needed: the event already loaded and locked the customer.
            customer = Customer(pk=outcome.customer_id, company_id=outcome.company_id)
            _settle_held_invoices(customer=customer, acting_user=None)
    if outcome is None:
        return JsonResponse({"result": "ignored", "agreement": None, "status": ""})
    return JsonResponse(outcome.as_dict())


# --- Support list and export ---------------------------------------------------------------


@company_member_required(roles=ANY_ROLE)
def agreement_list(request):
    if request.method == "POST":
        # The search may be a national ID: keep it out of the URL (b2cportal.search_stash).
        return stash_search(request, "agreements")
    params, querystring = search_params(request, "agreements")
    form = SupportFilterForm(params or None, company=request.company)
    filters = form.to_filters()
    # The status counts cover every status, so the status filter goes on after them.
    base = agreements_for_support(company=request.company, filters=replace(filters, status=""))
    counts = status_counts(queryset=base)
    queryset = base.filter(status=filters.status) if filters.status else base
    # The per-status counts already hold the total: spare a second COUNT over every agreement.
    page = capped_page(
        support_page_queryset(queryset),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
        total=counts[filters.status] if filters.status else sum(counts.values()),
    )
    without_agreement = (
        customers_wanting_einvoice_without_agreement(company=request.company)
        if filters.wanted_without_active
        else 0
    )
    return render(
        request,
        "agreements/list.html",
        {
            "form": form,
            "page": page,
            "counts": [
                (s, s.label, counts[s])
                for s in STATUSES_BY_COUNTRY.get(request.company.country, AgreementStatus)
            ],
            "querystring": querystring,
            "without_agreement": without_agreement,
        },
    )


@company_member_required(roles=ANY_ROLE)
def agreement_export(request):
    params, querystring = search_params(request, "agreements")
    form = SupportFilterForm(params or None, company=request.company)
    if form.is_bound and not form.is_valid():
        # Never export everything in place of a filter the user got wrong: show the list with
        # the field errors instead.
        messages.error(request, _("Correct the filter before exporting."))
        return redirect(f"{reverse('agreements:list')}?{querystring}")
    queryset = agreements_for_support(company=request.company, filters=form.to_filters())
    # Same order as the on-screen list, so a support agent finds row N of the page at row N.
    rows = (
        support_page_queryset(queryset)
        .values_list(
            "customer__number",
            "customer__name",
            "branch__branch_id",
            "network",
            "status",
            "reference",
            "source",
            "last_updated",
        )
        .iterator(chunk_size=2000)
    )
    header = [
        _("Customer no."),
        _("Name"),
        _("Branch"),
        _("Network"),
        _("Status"),
        _("Reference"),
        _("Source"),
        _("Last updated"),
        # Integrators filter on the stable code; people read the label column.
        "status_code",
    ]
    # Labels resolved once, in the user's language, not per row.
    networks = {code: str(label) for code, label in AgreementNetwork.choices}
    statuses = {code: str(label) for code, label in AgreementStatus.choices}
    sources = {code: str(label) for code, label in AgreementSource.choices}

    def lines():
        for number, name, branch, network, status, reference, source, updated in rows:
            yield [
                number,
                name,
                branch,
                networks.get(network, network),
                statuses.get(status, status),
                mask_agreement_reference(reference),
                sources.get(source, source),
                iso_datetime(updated),
                status,
            ]

    return csv_response(filename="agreements.csv", header=header, rows=lines())


# --- Customer tab --------------------------------------------------------------------------


def _customer(request, pk) -> Customer:
    return get_object_or_404(
        Customer.objects.filter(company=request.company).select_related("company"), pk=pk
    )


def _agreement(request, pk) -> ConsumerAgreement:
    return get_object_or_404(
        ConsumerAgreement.objects.filter(branch__company=request.company).select_related(
            "customer__company", "branch"
        ),
        pk=pk,
    )


@company_member_required(roles=ANY_ROLE)
def customer_agreements(request, pk):
    customer = _customer(request, pk)
    return render(
        request,
        "agreements/customer_page.html",
        {"customer": customer},
    )


def _done(request, customer: Customer) -> HttpResponse:
    return redirect("agreements:customer", pk=customer.pk)


def _confirm(request, *, customer: Customer, title: str, question: str, button: str, danger=False):
    """GET on an action URL: a page that says what will happen, with the button to do it."""
    return render(
        request,
        "agreements/confirm.html",
        {
            "customer": customer,
            "title": title,
            "question": question,
            "button": button,
            "danger": danger,
        },
    )


@company_member_required(roles=ANY_ROLE)
@require_http_methods(["GET", "POST"])
def request_agreements(request, pk):
    customer = _customer(request, pk)
    if request.method == "GET":
        return _confirm(
            request,
            customer=customer,
            title=_("Send agreement request"),
            question=_(
                "Send an eFaktura agreement request to %(customer)s by SMS (or email when no "
                "mobile number is given)?"
            )
            % {"customer": customer},
            button=_("Send agreement request"),
        )
    try:
        sent = services.request_agreements_for_customer(
            customer=customer, acting_user=request.user, current_branch=request.branch
        )
    except services.AgreementError as exc:
        messages.error(request, str(exc))
    else:
        if sent:
            messages.success(
                request,
                _("Agreement request queued for %(n)d branch(es).") % {"n": len(sent)},
            )
        else:
            messages.info(
                request,
                _(
                    "No new request: the agreement is already accepted or a request was sent "
                    "in the last 24 hours. Use Resend to send it again."
                ),
            )
    return _done(request, customer)


@company_member_required(roles=ANY_ROLE)
@require_http_methods(["GET", "POST"])
def resend(request, pk):
    agreement = _agreement(request, pk)
    if request.method == "GET":
        return _confirm(
            request,
            customer=agreement.customer,
            title=_("Resend request"),
            question=_("Send the agreement request for branch %(branch)s again?")
            % {"branch": agreement.branch},
            button=_("Resend request"),
        )
    try:
        services.resend_agreement_request(agreement=agreement, acting_user=request.user)
    except services.AgreementError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The agreement request is queued to be sent again."))
    return _done(request, agreement.customer)


@company_member_required(roles=EDITORS)
@require_http_methods(["GET", "POST"])
def check_now(request, pk):
    customer = _customer(request, pk)
    if request.method == "GET":
        return _confirm(
            request,
            customer=customer,
            title=_("Check now"),
            question=_(
                "Look %(customer)s up in the eFaktura receiver directory (Ja takk til alle)?"
            )
            % {"customer": customer},
            button=_("Check now"),
        )
    try:
        events = services.check_efaktura_directory(customer=customer, acting_user=request.user)
    except services.AgreementError as exc:
        messages.error(request, str(exc))
    else:
        if events:
            _settle_held_invoices(customer=customer, acting_user=request.user)
            messages.success(
                request, _("Found in the eFaktura directory: %(n)d change(s).") % {"n": len(events)}
            )
        else:
            messages.info(request, _("No change from the eFaktura receiver directory."))
    return _done(request, customer)


@company_member_required(roles=ANY_ROLE)
@require_http_methods(["GET", "POST"])
def mark_deleted(request, pk):
    # Scope first, then the role: a foreign id is a 404 for everyone, never a telling 403.
    agreement = _agreement(request, pk)
    if not has_role(request, ADMINISTRATORS):
        raise PermissionDenied
    if request.method == "GET":
        return _confirm(
            request,
            customer=agreement.customer,
            title=_("Mark as deleted"),
            question=_(
                "Mark the agreement of %(customer)s with branch %(branch)s as deleted? "
                "Invoices will no longer go to the online bank."
            )
            % {"customer": agreement.customer, "branch": agreement.branch},
            button=_("Mark as deleted"),
            danger=True,
        )
    try:
        services.mark_agreement_deleted(agreement=agreement, acting_user=request.user)
    except services.AgreementError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Agreement marked as deleted."))
    return _done(request, agreement.customer)


def simulator_consumer_panel(request) -> str:
    """The consumer simulator's list of agreement requests sent for the current company's
    customers, so a simulated consumer can open the link without the Django admin (the
    simulator's `simulator_consumer_panels` extension point; it never imports us)."""
    company = getattr(request, "company", None)
    if company is None:
        return ""
    rows = [(r, urlsplit(r.link).path) for r in recent_consumer_requests(company=company)]
    return render_to_string(
        "agreements/simulated_requests.html",
        {"rows": rows, "limit": SIMULATED_REQUESTS_LIMIT},
        request=request,
    )
