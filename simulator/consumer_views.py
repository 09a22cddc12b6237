"""Simulated consumer pages: the online bank, FMI onboarding, eFaktura directory, OCR payment.

Everything a consumer does here reaches the issuer through the signed inbound endpoint
(`adapter.consumers.deliver_agreement_event`), exactly as a real network's callback would.

Every page needs a login. The online bank opened from an agreement request's link is for the
issuer's own users (who play their consumer) and simulator operators; the link is signed, works
once and expires after a week. FMI onboarding, the eFaktura directory and OCR payments are the
network's side, for operators only (`permissions`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from b2cportal.companies.selectors import memberships_of
from b2cportal.extensions import hooks

from .adapter.consumers import (
    BANK_ACTIONS,
    ConsumerLinkError,
    deliver_agreement_event,
    new_event_id,
    read_consumer_link,
    respond_to_agreement_offer,
    use_consumer_link,
)
from .forms import EFakturaReceiverForm, FmiJoinForm, FmiLookupForm, OcrPaymentForm
from .models import EFakturaReceiver, FmiRegistration
from .permissions import is_operator, operator_required


def _explain(result) -> str:
    if result.status_code == 200:
        return ""
    return result.body.get("error") or _("The issuer refused the event (HTTP %(code)s).") % {
        "code": result.status_code
    }


@login_required
def index(request):
    """Links to the consumer pages, plus panels other apps contribute for the current company
    (e.g. agreement requests sent by SMS/email): the `simulator_consumer_panels` extension point,
    callables `panel(request) -> str`. This app never imports those apps."""
    panels = [html for panel in hooks("simulator_consumer_panels") if (html := panel(request))]
    return render(
        request,
        "simulator/consumers/index.html",
        {"panels": panels, "is_operator": is_operator(request.user)},
    )


LINK_PROBLEMS = {
    "invalid": _("This link is not valid."),
    "expired": _("This link has expired. Ask the company to send a new one."),
    "used": _("This link has already been used."),
}


def _may_open(user, issuer: str) -> bool:
    """The issuer's own users (playing their consumer) and simulator operators."""
    if is_operator(user):
        return True
    return any(m.company.organisation_number == issuer for m in memberships_of(user=user))


@login_required
@require_http_methods(["GET", "POST"])
def bank(request, token: str):
    """The consumer's online bank shows an eFaktura agreement offer: accept or reject, once."""
    try:
        link = read_consumer_link(token)
    except ConsumerLinkError as exc:
        return render(
            request,
            "simulator/consumers/bank_link_problem.html",
            {"problem": LINK_PROBLEMS[exc.reason]},
            status=410 if exc.reason in ("expired", "used") else 404,
        )
    if not _may_open(request.user, link.issuer):
        raise Http404
    offer = link.offer
    outcome = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in BANK_ACTIONS:
            messages.error(request, _("Choose accept or reject."))
            return redirect(request.path)
        try:
            use_consumer_link(link, action=action)
        except ConsumerLinkError as exc:
            return render(
                request,
                "simulator/consumers/bank_link_problem.html",
                {"problem": LINK_PROBLEMS[exc.reason]},
                status=410,
            )
        response = respond_to_agreement_offer(offer=offer, action=action)
        outcome = {
            "ok": response.failed is None,
            "action": action,
            "error": _explain(response.failed) if response.failed else "",
            "status": response.status,
        }
    return render(request, "simulator/consumers/bank.html", {"offer": offer, "outcome": outcome})


@operator_required
@require_http_methods(["GET", "POST"])
def onboarding(request, fui: str):
    """The sender's onboarding page in the consumer's bank: join (create an FMI) or cancel."""
    join_form = FmiJoinForm(prefix="join")
    lookup_form = FmiLookupForm(prefix="lookup")
    registrations: Iterable[FmiRegistration] = []
    error = ""
    if request.method == "POST" and request.POST.get("action") == "join":
        join_form = FmiJoinForm(request.POST, prefix="join")
        if join_form.is_valid():
            ssn, bank_id = join_form.cleaned_data["ssn"], join_form.cleaned_data["bank_id"]
            registration = FmiRegistration.objects.create(
                ssn=ssn, bank_id=bank_id, issuer_fui=fui, active=True
            )
            result = deliver_agreement_event(
                {
                    "event_id": new_event_id(),
                    "type": "fmi_created",
                    "fmi": registration.fmi,
                    "issuer_fui": fui,
                }
            )
            error = _explain(result)
            if not error:
                messages.success(
                    request,
                    _("You now receive e-invoices in your bank (FMI %(fmi)s).")
                    % {"fmi": registration.fmi},
                )
            lookup_form = FmiLookupForm(prefix="lookup", initial={"ssn": ssn})
            registrations = FmiRegistration.objects.filter(ssn=ssn, issuer_fui=fui, active=True)
    elif request.method == "POST" and request.POST.get("action") == "cancel":
        cancelled = FmiRegistration.objects.filter(
            pk=request.POST.get("registration"), issuer_fui=fui, active=True
        ).first()
        if cancelled is None:
            messages.error(request, _("That e-invoice agreement is not active."))
        else:
            cancelled.active = False
            cancelled.save(update_fields=["active"])
            result = deliver_agreement_event(
                {
                    "event_id": new_event_id(),
                    "type": "fmi_cancelled",
                    "fmi": cancelled.fmi,
                    "issuer_fui": fui,
                }
            )
            error = _explain(result)
            if not error:
                messages.success(request, _("The e-invoice agreement was cancelled."))
    elif request.method == "POST" and request.POST.get("action") == "lookup":
        # POST, so the personnummer never lands in a URL (proxies and access logs keep those).
        lookup_form = FmiLookupForm(request.POST, prefix="lookup")
        if lookup_form.is_valid():
            registrations = FmiRegistration.objects.filter(
                ssn=lookup_form.cleaned_data["ssn"], issuer_fui=fui, active=True
            )
    return render(
        request,
        "simulator/consumers/onboarding.html",
        {
            "fui": fui,
            "join_form": join_form,
            "lookup_form": lookup_form,
            "registrations": registrations,
            "error": error,
        },
    )


@operator_required
@require_http_methods(["GET", "POST"])
def efaktura_directory(request):
    """The eFaktura receiver directory (Ja takk til alle consents and issuer blocks)."""
    form = EFakturaReceiverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Receiver added to the simulated directory."))
        return redirect("simulator_consumers:efaktura")
    receivers = EFakturaReceiver.objects.order_by("-pk")[:200]
    return render(
        request, "simulator/consumers/efaktura.html", {"form": form, "receivers": receivers}
    )


@operator_required
@require_http_methods(["GET", "POST"])
def ocr_payment(request):
    """A consumer pays with a KID to an account with agreement capture; the bank invites them."""
    form = OcrPaymentForm(request.POST or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = deliver_agreement_event(
            {
                "event_id": new_event_id(),
                "type": "capture_payment",
                "account": data["account"],
                "kid": data["kid"],
                "amount": str(data["amount"]),
                "payer_name": data["payer_name"],
            }
        )
        outcome = {
            "ok": result.status_code == 200,
            "error": _explain(result),
            "link": result.body.get("link", ""),
            "status": result.body.get("status", ""),
        }
    return render(
        request, "simulator/consumers/ocr_payment.html", {"form": form, "outcome": outcome}
    )
