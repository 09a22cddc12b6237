"""Settings → Webhooks: endpoints, their signing secret, messages, attempts and *Resend*."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from b2cportal.companies.permissions import ADMINISTRATORS, company_member_required
from b2cportal.pagination import capped_page

from . import selectors, services
from .forms import EndpointForm
from .models import EventType


@company_member_required(roles=ADMINISTRATORS)
def endpoint_list(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint = services.create_endpoint(
            company=request.company,
            url=form.cleaned_data["url"],
            description=form.cleaned_data["description"],
            acting_user=request.user,
        )
        messages.success(request, _("The endpoint was added. Copy its signing secret."))
        return redirect(endpoint)
    page = capped_page(
        selectors.messages_of(company=request.company), request.GET.get("page"), per_page=50
    )
    return render(
        request,
        "webhooks/list.html",
        {
            "form": form,
            "endpoints": selectors.endpoints_of(company=request.company),
            "page": page,
            "event_types": EventType.choices,
        },
        status=400 if form.errors else 200,
    )


@company_member_required(roles=ADMINISTRATORS)
def endpoint_detail(request, pk: int):
    endpoint = get_object_or_404(selectors.endpoints_of(company=request.company), pk=pk)
    page = capped_page(
        selectors.messages_of(company=request.company).filter(endpoint=endpoint),
        request.GET.get("page"),
        per_page=50,
    )
    return render(request, "webhooks/endpoint.html", {"endpoint": endpoint, "page": page})


@require_POST
@company_member_required(roles=ADMINISTRATORS)
def endpoint_toggle(request, pk: int):
    endpoint = get_object_or_404(selectors.endpoints_of(company=request.company), pk=pk)
    services.set_endpoint_active(
        endpoint=endpoint, active=not endpoint.is_active, acting_user=request.user
    )
    messages.success(
        request,
        _("The endpoint was resumed.") if endpoint.is_active else _("The endpoint was paused."),
    )
    return redirect(endpoint)


@require_POST
@company_member_required(roles=ADMINISTRATORS)
def endpoint_rotate(request, pk: int):
    endpoint = get_object_or_404(selectors.endpoints_of(company=request.company), pk=pk)
    services.rotate_secret(endpoint=endpoint, acting_user=request.user)
    messages.success(request, _("A new signing secret was made; the old one no longer verifies."))
    return redirect(endpoint)


@company_member_required(roles=ADMINISTRATORS)
def message_detail(request, pk: int):
    message = get_object_or_404(selectors.messages_of(company=request.company), pk=pk)
    return render(
        request,
        "webhooks/message.html",
        {
            "message": message,
            "attempts": message.attempts_made.select_related("resent_by"),
            "body": services.body_of(message),
        },
    )


@require_POST
@company_member_required(roles=ADMINISTRATORS)
def message_resend(request, pk: int):
    message = get_object_or_404(selectors.messages_of(company=request.company), pk=pk)
    try:
        services.resend_message(message=message, acting_user=request.user)
    except services.WebhookError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The message is being sent again."))
    return redirect(message)
