"""The route trace as sentences a person reads, in the reader's language.

The trace stays structured data on the delivery (rule code, inputs, outcome); these sentences are
written when the screen is shown, so a trace recorded by an English-speaking worker reads in
Norwegian or Swedish, and a change of wording never touches stored rows.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.models import AgreementStatus

from .decision import Channel

# A statement per rule; the answer (yes/no) comes from the step's outcome.
STATEMENTS = {
    "inexchange_forced": gettext_lazy('"Prevent routing through InExchange" is switched on'),
    "internal": gettext_lazy("The customer is in the internal network"),
    "peppol": gettext_lazy("The customer is in the Peppol directory"),
    "operator_se": gettext_lazy(
        "The customer is in the Swedish operator address book (InExchange/NEA)"
    ),
    "norway_consumer": gettext_lazy(
        "The customer is a consumer with e-invoice (Norway) switched on"
    ),
    "norway_service_active": gettext_lazy("The AutoInvoice B2C service is active"),
    "norway_agreement": gettext_lazy("The customer has an active eFaktura agreement"),
    "norway_consumer_route_anyway": gettext_lazy('"Consumer route anyway" is switched on'),
    "se_consumer": gettext_lazy("The customer is a consumer"),
    "se_service_active": gettext_lazy("The B2CSE service is active"),
    "se_ssn": gettext_lazy("The customer's personal identity number is on file"),
    "se_not_credit_note": gettext_lazy("The document is an invoice, not a credit note"),
    "se_fmi": gettext_lazy("The consumer has an active FMI (online bank)"),
    "se_billo": gettext_lazy("The consumer has a Billo account"),
    "se_kivra": gettext_lazy("The consumer has a Kivra account"),
    "norway_hold_expired": gettext_lazy("The agreement was accepted within the waiting time"),
    "fallback_email": gettext_lazy("The customer has an email address"),
    "fallback_print": gettext_lazy("The customer has a postal address"),
}

# Steps that are conclusions rather than yes/no questions.
CONCLUSIONS = {
    "norway_agreement_pending": gettext_lazy(
        "An agreement request is open: the invoice waits up to %(days)s days for the agreement"
    ),
    "norway_agreement_declined": gettext_lazy(
        "The agreement was rejected or deleted (declined, or blocked via JTTA): no waiting"
    ),
    "norway_agreement_error": gettext_lazy("The agreement request failed: no waiting"),
    "norway_agreement_missing": gettext_lazy("No agreement request exists: no waiting"),
    "norway_hold_released": gettext_lazy("The agreement became active: the invoice is released"),
}


def _status_label(code: Any) -> str:
    if not code:
        return _("none")
    try:
        return str(AgreementStatus(code).label)
    except ValueError:
        return str(code)


def _delivery_method_sentence(inputs: dict[str, Any], company_country: str) -> str:
    from b2cportal.companies.wording import send_to_operator

    method = inputs.get("delivery_method", "")
    labels = {
        "autoinvoice": send_to_operator(company_country),
        "email": _("Email"),
        "print": _("Print"),
    }
    return _("The customer's delivery method is: %(method)s") % {
        "method": labels.get(method, method)
    }


def step_sentence(step: dict[str, Any], *, company_country: str = "NO") -> str:
    """One trace step as a sentence: "The customer has an active eFaktura agreement: no"."""
    rule = step.get("rule", "")
    inputs = step.get("inputs", {}) or {}
    passed = step.get("outcome") in ("passed", "chosen")
    answer = _("yes") if passed else _("no")
    if rule.startswith("chosen:"):
        code = rule.removeprefix("chosen:")
        try:
            channel = Channel(code).label
        except ValueError:
            channel = code
        return _("Chosen channel: %(channel)s") % {"channel": channel}
    if rule == "delivery_method":
        return _delivery_method_sentence(inputs, company_country)
    if rule in ("channel_failed", "transport_failed"):
        code = inputs.get("channel", "")
        try:
            channel = Channel(code).label
        except ValueError:
            channel = code
        if rule == "channel_failed":
            return _("Delivery by %(channel)s failed earlier: the next channel is tried") % {
                "channel": channel
            }
        reason = inputs.get("reason", "")
        # The reason is stored as a message id: worded in the reader's language.
        return _("Delivery by %(channel)s failed: %(reason)s") % {
            "channel": channel,
            "reason": _(reason) if reason else _("no reason given"),
        }
    if rule in CONCLUSIONS:
        sentence = str(CONCLUSIONS[rule]) % {"days": inputs.get("hold_days", 3)}
        if "agreement_status" in inputs:
            sentence += " " + _("(agreement status: %(status)s)") % {
                "status": _status_label(inputs["agreement_status"])
            }
        return sentence
    if rule == "manual_reroute":
        from .models import DeliveryStatus

        code = inputs.get("route", "")
        try:
            channel = Channel(code).label
        except ValueError:
            channel = code
        status = inputs.get("from_status", "")
        return _("An accountant re-routed it to %(channel)s (it was: %(status)s)") % {
            "channel": channel,
            "status": dict(DeliveryStatus.choices).get(status, status),
        }
    if rule == "se_due_date":
        sentence = _("Sent at least %(minimum)s days before the due date: %(answer)s") % {
            "minimum": inputs.get("minimum", 3),
            "answer": answer,
        }
        days = inputs.get("days_until_due")
        if days is not None:
            sentence += " " + _("(%(days)s days left)") % {"days": days}
        return sentence
    statement = STATEMENTS.get(rule)
    if statement is None:
        return f"{rule}: {answer}"
    sentence = _("%(statement)s: %(answer)s") % {"statement": statement, "answer": answer}
    if rule == "norway_agreement":
        sentence += " " + _("(agreement status: %(status)s)") % {
            "status": _status_label(inputs.get("agreement_status"))
        }
    return sentence
