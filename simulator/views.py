"""Simulator pages for the network's side of service activation and the national registers.

This is the outside world for every company at once, so only superusers and simulator operators
(`simulator.operate_network`) see it. Everything here is labelled Simulated; the app still
learns each outcome by polling the network.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from b2cportal.network.adapter import NetworkError
from b2cportal.network.polling import poll_reference_now, request_status_poll

from .adapter import SimulatedNetwork
from .models import ActivationRequest, ActivationRequestStatus, RegisterEntry
from .permissions import operator_required

PAGE_LIMIT = 200


class RegisterEntryForm(forms.Form):
    country = forms.ChoiceField(
        label=gettext_lazy("Country"),
        choices=[("NO", gettext_lazy("Norway")), ("SE", gettext_lazy("Sweden"))],
    )
    organisation_number = forms.RegexField(
        label=gettext_lazy("Organisation number"),
        regex=r"^\d{9,10}$",
        error_messages={"invalid": gettext_lazy("Enter 9 (Norway) or 10 (Sweden) digits.")},
    )
    name = forms.CharField(label=gettext_lazy("Registered name"), max_length=200)


@operator_required
def activations(request):
    """Every activation the network holds, and the national register entries."""
    company = getattr(request, "company", None)
    initial = (
        {"country": company.country, "organisation_number": company.organisation_number}
        if company is not None
        else {}
    )
    context = {
        "requests": ActivationRequest.objects.all()[:PAGE_LIMIT],
        "entries": RegisterEntry.objects.order_by("country", "organisation_number")[:PAGE_LIMIT],
        "register_form": RegisterEntryForm(initial=initial),
        "pending": ActivationRequestStatus.PENDING,
    }
    return render(request, "simulator/simulator_activations.html", context)


@operator_required
@require_POST
def complete_now(request, reference):
    """Let the network complete a pending activation now; the app learns it by polling."""
    found = get_object_or_404(ActivationRequest, reference=reference)
    try:
        with transaction.atomic():
            SimulatedNetwork().complete_now(str(found.reference))
    except NetworkError as exc:
        messages.error(request, str(exc))
        return redirect("simulator:activations")
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
    return redirect("simulator:activations")


@operator_required
@require_POST
def set_register_name(request):
    """Add or rename a company in the simulated national register."""
    form = RegisterEntryForm(request.POST)
    if form.is_valid():
        SimulatedNetwork().set_register_name(**form.cleaned_data)
        messages.success(request, _("The simulated register entry was saved."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(
                request,
                f"{label}: {' '.join(map(str, errors))}" if label else " ".join(map(str, errors)),
            )
    return redirect("simulator:activations")
