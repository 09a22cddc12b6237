"""Simulator pages: what the simulated network shows and lets a demo operator do.

Everything here is the *network's* side and is labelled Simulated. The network is the lowest
layer and does not import our apps: it reads the tenancy the middleware put on the request
(`request.company`, `request.membership`) by attribute only.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .adapter import NetworkError, get_network
from .models import ActivationRequest, ActivationRequestStatus, RegisterEntry
from .polling import poll_reference_now, request_status_poll

ADMINISTRATOR = "administrator"


def _member_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if getattr(request, "membership", None) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _is_admin(request) -> bool:
    return getattr(request.membership, "role", None) == ADMINISTRATOR


def _company_requests(request):
    company = request.company
    return ActivationRequest.objects.filter(organisation_number=company.organisation_number)


class RegisterNameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Registered name"), max_length=200)


@_member_required
def activations(request):
    """The network's view of this company's activations, and its national register entry."""
    company = request.company
    entry = RegisterEntry.objects.filter(
        country=company.country, organisation_number=company.organisation_number
    ).first()
    context = {
        "requests": _company_requests(request),
        "entry": entry,
        "register_form": RegisterNameForm(initial={"name": entry.name if entry else ""}),
        "is_admin": _is_admin(request),
        "pending": ActivationRequestStatus.PENDING,
    }
    return render(request, "network/simulator_activations.html", context)


@_member_required
def complete_now(request, reference):
    """Let the network complete a pending activation now; the app learns it by polling."""
    # Scope first: another company's reference is a 404 whatever the method or role.
    found = get_object_or_404(_company_requests(request), reference=reference)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not _is_admin(request):
        raise PermissionDenied
    network = get_network()
    if not network.is_simulated:
        raise PermissionDenied
    try:
        with transaction.atomic():
            network.complete_now(str(found.reference))
    except NetworkError as exc:
        messages.error(request, str(exc))
        return redirect("network:activations")
    # Poll this activation now, through the same polling service the beat task uses, so the
    # page we redirect to (and the settings screen) already shows the outcome.
    try:
        poll_reference_now(str(found.reference))
    except NetworkError:
        # The periodic poll will ask again.
        request_status_poll()
    found.refresh_from_db()
    if found.status == ActivationRequestStatus.REJECTED:
        messages.warning(
            request,
            _("The simulated network rejected the activation and the app polled it: %(error)s")
            % {"error": (found.result or {}).get("error", "")},
        )
    else:
        messages.success(
            request,
            _("The simulated network completed the activation and the app polled it: active."),
        )
    return redirect("network:activations")


@require_POST
@_member_required
def set_register_name(request):
    """Edit the company's entry in the simulated national register (for demos)."""
    if not _is_admin(request):
        raise PermissionDenied
    form = RegisterNameForm(request.POST)
    if form.is_valid():
        get_network().set_register_name(
            country=request.company.country,
            organisation_number=request.company.organisation_number,
            name=form.cleaned_data["name"],
        )
        messages.success(request, _("The simulated register entry was saved."))
    else:
        messages.error(request, _("Registered name: enter a name."))
    return redirect("network:activations")
