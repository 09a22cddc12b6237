"""Customers (AR303000) screens. Thin: read the request, call a selector or a service."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from agreements.services import handle_customer_saved
from b2cportal.audit.selectors import history_of
from b2cportal.companies.permissions import ANY_ROLE, EDITORS, company_member_required, has_role
from b2cportal.extensions import contributions
from b2cportal.pagination import capped_page
from b2cportal.search_stash import search_params, stash_search

from .forms import CustomerFilterForm, CustomerForm
from .selectors import customers_of, search_customers
from .services import CustomerError, create_customer, mobile_phone_field_for, update_customer

PAGE_SIZE = 50


@company_member_required(roles=ANY_ROLE)
def customer_list(request):
    if request.method == "POST":
        # The search may be a national ID: keep it out of the URL (b2cportal.search_stash).
        return stash_search(request, "customers")
    params, query_string = search_params(request, "customers")
    filter_form = CustomerFilterForm(params or None, company_country=request.company.country)
    customers = search_customers(company=request.company, **filter_form.filters())
    page = capped_page(customers, request.GET.get("page"), per_page=PAGE_SIZE)
    return render(
        request,
        "customers/customer_list.html",
        {
            "filter_form": filter_form,
            "page": page,
            "query_string": query_string,
            "can_edit": has_role(request, EDITORS),
        },
    )


@company_member_required(roles=ANY_ROLE)
def customer_detail(request, pk: int):
    customer = get_object_or_404(customers_of(company=request.company), pk=pk)
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            # Tabs the apps above add (`customer_tabs`: (label, template_name) pairs); the
            # template is included in the tab pane with `customer` and the page's context.
            "customer_tabs": contributions("customer_tabs"),
            "history": history_of(company_id=request.company.pk, obj=customer, with_children=True),
            "can_edit": has_role(request, EDITORS),
            "mobile_field": mobile_phone_field_for(company=request.company),
        },
    )


def _save_form(request, form: CustomerForm, save):
    """Run the service; a refusal goes back onto the field it concerns."""
    if not form.is_valid():
        return None
    try:
        return save(form.service_data())
    except CustomerError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


@company_member_required(roles=EDITORS)
def customer_create(request):
    mobile_field = mobile_phone_field_for(company=request.company)
    form = CustomerForm(
        request.POST or None,
        initial={"country": request.company.country, "language": _default_language(request)},
        mobile_field=mobile_field,
        company_country=request.company.country,
    )
    if request.method == "POST":
        customer = _save_form(
            request,
            form,
            lambda data: create_customer(
                company=request.company, acting_user=request.user, data=data
            ),
        )
        if customer is not None:
            messages.success(request, _("Customer %(customer)s created.") % {"customer": customer})
            return redirect(customer)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@company_member_required(roles=EDITORS)
def customer_edit(request, pk: int):
    customer = get_object_or_404(customers_of(company=request.company), pk=pk)
    form = CustomerForm(
        request.POST or None,
        instance=customer,
        mobile_field=mobile_phone_field_for(company=request.company),
        company_country=request.company.country,
    )
    if request.method == "POST":
        saved = _save_form(
            request,
            form,
            lambda data: update_customer(customer=customer, acting_user=request.user, data=data),
        )
        if saved is not None:
            messages.success(request, _("Customer %(customer)s saved.") % {"customer": saved})
            # The screen composes the two apps (DESIGN §2): customers cannot call agreements
            # from its services, so the view asks for the agreement request after the save.
            sent = handle_customer_saved(
                customer=saved, acting_user=request.user, current_branch=request.branch
            )
            for agreement_request in sent:
                messages.info(
                    request,
                    (
                        _("E-invoice agreement request sent by %(channel)s to %(recipient)s.")
                        if agreement_request.status == "sent"
                        # Requests leave after the save commits: say queued until they are sent.
                        else _(
                            "E-invoice agreement request by %(channel)s to %(recipient)s is queued "
                            "for sending."
                        )
                    )
                    % {
                        "channel": agreement_request.get_channel_display(),
                        "recipient": agreement_request.recipient,
                    },
                )
            return redirect(saved)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


def _default_language(request) -> str:
    return {"NO": "nb", "SE": "sv"}.get(request.company.country, "en")
