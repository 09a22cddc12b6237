"""Writes for company settings and B2C service activation. Every write is recorded.

Each service owns its transaction, takes the acting user (None only where nobody is logged in:
the signer accepting the terms, and the periodic poll) and raises `CompanyError` with the field
and rule it refuses. A failed step leaves the previous state intact: network calls happen
inside the transaction, email goes out on commit.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from b2cportal import identifiers
from b2cportal.network.adapter import NetworkError, get_network
from b2cportal.network.models import ActivationRequestStatus, ServiceKind

from . import rules
from .models import (
    AutoInvoiceSettings,
    Branch,
    Company,
    CustomerLedgerPreferences,
    NorwayActivationStatus,
    NorwayB2CActivation,
    SettingsChange,
    SwedenActivationStatus,
    SwedenB2CActivation,
    SwedenReceivingAccount,
)
from .models import (
    SettingsAction as Action,
)

logger = logging.getLogger(__name__)

TERMS_SALT = "companies.b2cno.terms"
CAPTURE_KID_FIELDS = (
    "capture_kid_length",
    "capture_customer_number_start",
    "capture_customer_number_end",
)


class CompanyError(Exception):
    """A company settings or activation step was refused; `field` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TermsLinkError(CompanyError):
    """The terms-of-service link cannot be used: `reason` is invalid, expired or used."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


# --- helpers -----------------------------------------------------------------------------------


def _record(
    *,
    company: Company,
    branch: Branch | None,
    actor: AbstractBaseUser | None,
    action: str,
    changes: list[dict[str, Any]],
    by: str = "",
) -> SettingsChange:
    """One history row; `by` names who acted when it was not a logged-in user (the signer)."""
    data: dict[str, Any] = {"changes": changes}
    if by:
        data["by"] = by
    return SettingsChange.objects.create(
        company=company, branch=branch, actor=actor, action=action, data=data
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def _apply(instance: models.Model, changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Set the fields and return the differences as old -> new entries."""
    diff = []
    for name, new in changes.items():
        old = getattr(instance, name)
        if old != new:
            setattr(instance, name, new)
            diff.append({"field": name, "old": _jsonable(old), "new": _jsonable(new)})
    return diff


def _status_change(old: str, new: str) -> dict[str, Any]:
    return {"field": "status", "old": old, "new": new}


def _locked(model: type[models.Model], branch: Branch):
    """The branch's activation row, created if missing, then locked for this transaction.

    Creating first (outside the lock) means two simultaneous first submits both find one row
    and serialise on its lock instead of one of them failing on the unique constraint.
    """
    model.objects.get_or_create(branch=branch)
    return model.objects.select_for_update().select_related("branch__company").get(branch=branch)


# --- AutoInvoice settings, ledger preferences, Altinn --------------------------------------------


def get_or_create_autoinvoice_settings(*, branch: Branch) -> AutoInvoiceSettings:
    """The branch's AutoInvoice settings row (created with the defaults on first use)."""
    obj, _created = AutoInvoiceSettings.objects.get_or_create(branch=branch)
    return obj


@transaction.atomic
def update_autoinvoice_settings(
    *, branch: Branch, acting_user: AbstractBaseUser, changes: dict[str, Any]
) -> AutoInvoiceSettings:
    """Save the branch's AutoInvoice settings (CS10250S) and record what changed."""
    AutoInvoiceSettings.objects.get_or_create(branch=branch)
    obj = AutoInvoiceSettings.objects.select_for_update().get(branch=branch)
    company = branch.company
    service = changes.get("consumer_einvoice_service", obj.consumer_einvoice_service)
    allowed = {"none", "autoinvoice_b2c" if company.is_norwegian else "b2cse"}
    if service not in allowed:
        raise CompanyError(
            _("This service is not available for companies in %(country)s.")
            % {"country": company.get_country_display()},
            field="consumer_einvoice_service",
        )
    if company.is_norwegian:
        # InExchange routing only exists in Sweden; the setting is not shown in Norway.
        changes = {k: v for k, v in changes.items() if k != "prevent_routing_through_inexchange"}
    diff = _apply(obj, changes)
    if diff:
        obj.save()
        _record(
            company=company,
            branch=branch,
            actor=acting_user,
            action=Action.AUTOINVOICE_UPDATED,
            changes=diff,
        )
    return obj


@transaction.atomic
def update_ledger_preferences(
    *, company: Company, acting_user: AbstractBaseUser, changes: dict[str, Any]
) -> CustomerLedgerPreferences:
    """Save Customer ledger preferences (AR101000, tab AutoInvoice settings) and record it."""
    CustomerLedgerPreferences.objects.get_or_create(company=company)
    obj = CustomerLedgerPreferences.objects.select_for_update().get(company=company)
    errors = rules.kid_position_errors(
        length=changes.get("kid_length", obj.kid_length),
        start=changes.get("kid_customer_number_start", obj.kid_customer_number_start),
        end=changes.get("kid_customer_number_end", obj.kid_customer_number_end),
    )
    if errors:
        field, message = next(iter(errors.items()))
        raise CompanyError(message, field=field)
    diff = _apply(obj, changes)
    if diff:
        obj.save()
        _record(
            company=company,
            branch=None,
            actor=acting_user,
            action=Action.LEDGER_UPDATED,
            changes=diff,
        )
    return obj


@transaction.atomic
def update_altinn_settings(
    *, branch: Branch, acting_user: AbstractBaseUser, changes: dict[str, Any]
) -> Branch:
    """Save the branch's RF-1301 contact (Branches, tab Altinn settings) and record it."""
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    phone = changes.get("rf1301_contact_phone")
    if phone:
        try:
            changes["rf1301_contact_phone"] = identifiers.clean_phone_number(
                phone, branch.company.country
            )
        except ValidationError as exc:
            raise CompanyError(" ".join(exc.messages), field="rf1301_contact_phone") from None
    diff = _apply(branch, changes)
    if diff:
        branch.save()
        _record(
            company=branch.company,
            branch=branch,
            actor=acting_user,
            action=Action.ALTINN_UPDATED,
            changes=diff,
        )
    return branch


# --- Norway: AutoInvoice B2C -------------------------------------------------------------------


def terms_token(activation: NorwayB2CActivation) -> str:
    """The signed one-time token for the activation's current terms link."""
    signer = signing.TimestampSigner(salt=TERMS_SALT)
    return signer.sign_object({"a": activation.pk, "n": activation.terms_nonce})


def terms_url(activation: NorwayB2CActivation) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "companies:terms", args=[terms_token(activation)]
    )


def _capture_fields(
    *,
    use_agreement_capture: bool,
    capture_bban: str,
    capture_kid_length: int,
    capture_customer_number_start: int,
    capture_customer_number_end: int,
) -> dict[str, Any]:
    if not use_agreement_capture:
        return {"use_agreement_capture": False, "capture_bban": ""}
    try:
        bban = identifiers.clean_bban(capture_bban)
    except ValidationError as exc:
        raise CompanyError(
            _("Bank account (BBAN): %(rule)s") % {"rule": " ".join(exc.messages)},
            field="capture_bban",
        ) from None
    errors = rules.kid_position_errors(
        length=capture_kid_length,
        start=capture_customer_number_start,
        end=capture_customer_number_end,
        fields=CAPTURE_KID_FIELDS,
    )
    if errors:
        field, message = next(iter(errors.items()))
        raise CompanyError(message, field=field)
    return {
        "use_agreement_capture": True,
        "capture_bban": bban,
        "capture_kid_length": capture_kid_length,
        "capture_customer_number_start": capture_customer_number_start,
        "capture_customer_number_end": capture_customer_number_end,
    }


def _queue_terms_email(activation: NorwayB2CActivation, language: str) -> None:
    from .tasks import send_terms_email  # tasks import services; import late to avoid a cycle

    send_terms_email.delay_on_commit(activation.pk, activation.terms_nonce, language)


@transaction.atomic
def request_norway_activation(
    *,
    branch: Branch,
    acting_user: AbstractBaseUser,
    signer_name: str,
    signer_email: str,
    use_agreement_capture: bool = False,
    capture_bban: str = "",
    capture_kid_length: int = 12,
    capture_customer_number_start: int = 1,
    capture_customer_number_end: int = 5,
    language: str = "en",
) -> NorwayB2CActivation:
    """Start AutoInvoice B2C activation: email the signer a one-time link to accept the terms.

    A repeated identical submit while the link is still open is a no-op (no second email); new
    details replace the open request and invalidate the earlier link.
    """
    company = branch.company
    if not company.is_norwegian:
        raise CompanyError(_("AutoInvoice B2C is only available for Norwegian companies."))
    if not signer_name.strip():
        raise CompanyError(_("Name: enter the name of the person who signs."), field="signer_name")
    if not signer_email.strip():
        raise CompanyError(_("Email: enter the signer's email address."), field="signer_email")
    fields = {
        "signer_name": signer_name.strip(),
        "signer_email": signer_email.strip(),
        **_capture_fields(
            use_agreement_capture=use_agreement_capture,
            capture_bban=capture_bban,
            capture_kid_length=capture_kid_length,
            capture_customer_number_start=capture_customer_number_start,
            capture_customer_number_end=capture_customer_number_end,
        ),
    }
    activation = _locked(NorwayB2CActivation, branch)
    if activation.status in (NorwayActivationStatus.ACTIVATING, NorwayActivationStatus.ACTIVE):
        raise CompanyError(
            _("The service is already in status “%(status)s”.")
            % {"status": activation.get_status_display()}
        )
    if activation.status == NorwayActivationStatus.AWAITING_TERMS and all(
        getattr(activation, k) == v for k, v in fields.items()
    ):
        return activation  # double submit: the email for these details is already on its way
    old_status = activation.status
    diff = _apply(activation, fields)
    activation.status = NorwayActivationStatus.AWAITING_TERMS
    activation.terms_nonce = secrets.token_urlsafe(24)
    activation.terms_sent_at = timezone.now()
    activation.terms_accepted_at = None
    activation.expected_active_on = None
    activation.error = ""
    activation.save()
    _record(
        company=company,
        branch=branch,
        actor=acting_user,
        action=Action.B2CNO_TERMS_SENT,
        changes=[_status_change(old_status, activation.status), *diff],
    )
    _queue_terms_email(activation, language)
    return activation


@transaction.atomic
def resend_terms_email(
    *, branch: Branch, acting_user: AbstractBaseUser, language: str = "en"
) -> NorwayB2CActivation:
    """Send the terms email again with a fresh link; the earlier link stops working."""
    activation = _locked(NorwayB2CActivation, branch)
    if activation.status != NorwayActivationStatus.AWAITING_TERMS:
        raise CompanyError(_("There is no open request to accept the terms of service."))
    previous_sent_at = activation.terms_sent_at
    activation.terms_nonce = secrets.token_urlsafe(24)
    activation.terms_sent_at = timezone.now()
    activation.save()
    _record(
        company=branch.company,
        branch=branch,
        actor=acting_user,
        action=Action.B2CNO_TERMS_SENT,
        changes=[
            {
                "field": "terms_sent_at",
                "old": _jsonable(previous_sent_at),
                "new": _jsonable(activation.terms_sent_at),
            }
        ],
    )
    _queue_terms_email(activation, language)
    return activation


def send_terms_email(*, activation_id: int, nonce: str, language: str) -> bool:
    """Email the signer the terms link for `nonce`, once; False when it is stale or already sent."""
    with transaction.atomic():
        activation = (
            NorwayB2CActivation.objects.select_for_update()
            .select_related("branch__company")
            .filter(pk=activation_id)
            .first()
        )
        if (
            activation is None
            or activation.status != NorwayActivationStatus.AWAITING_TERMS
            or activation.terms_nonce != nonce
            or activation.terms_emailed_nonce == nonce
        ):
            return False
        with translation.override(language):
            context = {
                "activation": activation,
                "company": activation.branch.company,
                "branch": activation.branch,
                "url": terms_url(activation),
                "valid_days": settings.B2CNO_TERMS_LINK_MAX_AGE_SECONDS // 86400,
            }
            subject = render_to_string("companies/email/terms_subject.txt", context).strip()
            text = render_to_string("companies/email/terms_body.txt", context)
            html = render_to_string("companies/email/terms_body.html", context)
        message = EmailMultiAlternatives(subject=subject, body=text, to=[activation.signer_email])
        message.attach_alternative(html, "text/html")
        message.send()
        # Marked in the same transaction: if the mark fails to commit, a retry may send again,
        # but a committed mark guarantees no retry ever does.
        NorwayB2CActivation.objects.filter(pk=activation.pk).update(terms_emailed_nonce=nonce)
    return True


def read_terms_link(token: str) -> NorwayB2CActivation:
    """The activation a terms link belongs to, if the link can still be used (no side effects)."""
    signer = signing.TimestampSigner(salt=TERMS_SALT)
    try:
        data = signer.unsign_object(token, max_age=settings.B2CNO_TERMS_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise TermsLinkError(
            _("This link has expired. Ask your administrator to send a new one."), reason="expired"
        ) from None
    except signing.BadSignature:
        raise TermsLinkError(_("This link is not valid."), reason="invalid") from None
    activation = (
        NorwayB2CActivation.objects.select_related("branch__company")
        .filter(pk=data.get("a"))
        .first()
    )
    if activation is None:
        raise TermsLinkError(_("This link is not valid."), reason="invalid")
    if (
        activation.status != NorwayActivationStatus.AWAITING_TERMS
        or not activation.terms_nonce
        or activation.terms_nonce != data.get("n")
    ):
        raise TermsLinkError(
            _("This link has already been used or was replaced by a newer one."), reason="used"
        )
    return activation


@transaction.atomic
def accept_terms(*, token: str) -> NorwayB2CActivation:
    """The signer accepted the terms: send the activation to the network; now *activating*."""
    found = read_terms_link(token)
    activation = (
        NorwayB2CActivation.objects.select_for_update()
        .select_related("branch__company")
        .get(pk=found.pk)
    )
    # Re-check under the lock: a second click that waited for the first one must see it used.
    read_terms_link(token)
    company = activation.branch.company
    payload = {
        "signer_name": activation.signer_name,
        "signer_email": activation.signer_email,
        "branch": activation.branch.branch_id,
        "agreement_capture": (
            {
                "bban": activation.capture_bban,
                "kid_length": activation.capture_kid_length,
                "customer_number_start": activation.capture_customer_number_start,
                "customer_number_end": activation.capture_customer_number_end,
            }
            if activation.use_agreement_capture
            else None
        ),
    }
    try:
        reference = get_network().submit_activation(
            service=ServiceKind.B2CNO,
            organisation_number=company.organisation_number,
            company_name=company.name,
            payload=payload,
        )
    except NetworkError as exc:
        raise CompanyError(
            _("The network could not take the activation: %(error)s") % {"error": exc}
        ) from exc
    old_status = activation.status
    activation.status = NorwayActivationStatus.ACTIVATING
    activation.terms_nonce = ""
    activation.terms_accepted_at = timezone.now()
    # Nets and the banks need up to one working day (weekends and public holidays skipped).
    activation.expected_active_on = identifiers.add_norwegian_working_days(timezone.localdate(), 1)
    activation.network_reference = reference
    activation.save()
    _record(
        company=company,
        branch=activation.branch,
        actor=None,
        action=Action.B2CNO_TERMS_ACCEPTED,
        by=f"{activation.signer_name} <{activation.signer_email}>",
        changes=[
            _status_change(old_status, activation.status),
            {
                "field": "expected_active_on",
                "old": None,
                "new": _jsonable(activation.expected_active_on),
            },
        ],
    )
    return activation


@transaction.atomic
def deactivate_norway_service(
    *, branch: Branch, acting_user: AbstractBaseUser
) -> NorwayB2CActivation:
    """Turn an active AutoInvoice B2C service off at the network and here."""
    activation = _locked(NorwayB2CActivation, branch)
    if activation.status != NorwayActivationStatus.ACTIVE:
        raise CompanyError(_("Only an active service can be deactivated."))
    try:
        get_network().deactivate(activation.network_reference)
    except NetworkError as exc:
        raise CompanyError(
            _("The network could not deactivate the service: %(error)s") % {"error": exc}
        ) from exc
    old_status = activation.status
    activation.status = NorwayActivationStatus.DEACTIVATED
    activation.deactivated_at = timezone.now()
    activation.save()
    _record(
        company=branch.company,
        branch=branch,
        actor=acting_user,
        action=Action.B2CNO_DEACTIVATED,
        changes=[_status_change(old_status, activation.status)],
    )
    return activation


# --- Sweden: B2CSE -----------------------------------------------------------------------------


@transaction.atomic
def submit_sweden_activation(
    *,
    branch: Branch,
    acting_user: AbstractBaseUser,
    account_type: str,
    account_number: str,
    fui: str = "",
    agreement_id: str = "",
) -> SwedenB2CActivation:
    """Send the B2CSE activation to the network; it stays pending until the network completes.

    Refused (nothing saved) when an input breaks a rule or the company name differs from the
    national register's. A repeated identical submit returns the pending activation unchanged.
    """
    company = branch.company
    if not company.is_swedish:
        raise CompanyError(_("B2CSE is only available for Swedish companies."))
    try:
        account = rules.clean_giro_account(account_type, account_number)
    except ValidationError as exc:
        raise CompanyError(
            _("Account number: %(rule)s") % {"rule": " ".join(exc.messages)},
            field="account_number",
        ) from None
    fui = fui.strip().upper()
    agreement_id = agreement_id.strip()
    if fui:
        # A malformed FUI is reported with its rule by fui_errors below.
        with contextlib.suppress(ValidationError):
            fui = str(identifiers.parse_fui(fui))
    errors = rules.fui_errors(
        fui=fui, agreement_id=agreement_id, organisation_number=company.organisation_number
    )
    if errors:
        field, message = next(iter(errors.items()))
        raise CompanyError(message, field=field)
    network = get_network()
    problem = rules.register_name_error(
        registered_name=network.register_name(
            country=company.country, organisation_number=company.organisation_number
        ),
        company_name=company.name,
    )
    if problem:
        raise CompanyError(problem, field="company_name")
    activation = _locked(SwedenB2CActivation, branch)
    fields = {
        "account_type": account_type,
        "account_number": account,
        "fui": fui,
        "agreement_id": agreement_id,
    }
    if activation.status in (SwedenActivationStatus.PENDING, SwedenActivationStatus.ACTIVE):
        if activation.status == SwedenActivationStatus.PENDING and all(
            getattr(activation, k) == v for k, v in fields.items()
        ):
            return activation  # double submit
        raise CompanyError(
            _("The B2CSE service is already in status “%(status)s”.")
            % {"status": activation.get_status_display()}
        )
    try:
        reference = network.submit_activation(
            service=ServiceKind.B2CSE,
            organisation_number=company.organisation_number,
            company_name=company.name,
            payload={
                "account_type": account_type,
                "account": f"{account_type}:{account}",
                "fui": fui,
                "agreement_id": agreement_id,
            },
        )
    except NetworkError as exc:
        raise CompanyError(
            _("The network could not take the activation: %(error)s") % {"error": exc}
        ) from exc
    old_status = activation.status
    diff = _apply(activation, fields)
    activation.status = SwedenActivationStatus.PENDING
    activation.submitted_at = timezone.now()
    activation.network_reference = reference
    activation.error = ""
    activation.save()
    _record(
        company=company,
        branch=branch,
        actor=acting_user,
        action=Action.B2CSE_SUBMITTED,
        changes=[_status_change(old_status, activation.status), *diff],
    )
    return activation


def accounts_under_fui(fui: str) -> int:
    """How many receiving accounts an FUI holds in our records (each activation's own + extra)."""
    return (
        SwedenB2CActivation.objects.filter(fui=fui).exclude(account_number="").count()
        + SwedenReceivingAccount.objects.filter(activation__fui=fui).count()
    )


@transaction.atomic
def add_receiving_account(
    *, branch: Branch, acting_user: AbstractBaseUser, account_type: str, account_number: str
) -> SwedenReceivingAccount:
    """Add one more Bankgiro/PlusGiro account under the active FUI (at most 99 per FUI)."""
    activation = _locked(SwedenB2CActivation, branch)
    if activation.status != SwedenActivationStatus.ACTIVE:
        raise CompanyError(_("Accounts can be added once the B2CSE service is active."))
    try:
        account = rules.clean_giro_account(account_type, account_number)
    except ValidationError as exc:
        raise CompanyError(
            _("Account number: %(rule)s") % {"rule": " ".join(exc.messages)},
            field="account_number",
        ) from None
    if (activation.account_type, activation.account_number) == (account_type, account) or (
        activation.receiving_accounts.filter(
            account_type=account_type, account_number=account
        ).exists()
    ):
        raise CompanyError(
            _("Account number: this account is already registered for the FUI."),
            field="account_number",
        )
    if accounts_under_fui(activation.fui) >= rules.MAX_ACCOUNTS_PER_FUI:
        raise CompanyError(
            _("Account number: the FUI %(fui)s already holds %(max)s accounts, the most allowed.")
            % {"fui": activation.fui, "max": rules.MAX_ACCOUNTS_PER_FUI},
            field="account_number",
        )
    try:
        get_network().add_receiving_account(
            activation.network_reference, account_type=account_type, account_number=account
        )
    except NetworkError as exc:
        raise CompanyError(
            _("The network refused the account: %(error)s") % {"error": exc},
            field="account_number",
        ) from exc
    created = SwedenReceivingAccount.objects.create(
        activation=activation, account_type=account_type, account_number=account
    )
    _record(
        company=branch.company,
        branch=branch,
        actor=acting_user,
        action=Action.B2CSE_ACCOUNT_ADDED,
        changes=[{"field": "account_number", "old": None, "new": f"{account_type} {account}"}],
    )
    return created


# --- Polling the network ---------------------------------------------------------------------


def _poll_norway(activation: NorwayB2CActivation) -> None:
    state = get_network().activation_status(activation.network_reference)
    old = activation.status
    if state.status == ActivationRequestStatus.ACTIVE:
        activation.status = NorwayActivationStatus.ACTIVE
        activation.activated_at = timezone.now()
        action = Action.B2CNO_ACTIVE
    elif state.status == ActivationRequestStatus.REJECTED:
        activation.status = NorwayActivationStatus.NOT_ACTIVATED
        activation.error = state.error
        action = Action.B2CNO_REJECTED
    else:
        return
    activation.save()
    _record(
        company=activation.branch.company,
        branch=activation.branch,
        actor=None,
        action=action,
        changes=[_status_change(old, activation.status)],
    )


def _poll_sweden(activation: SwedenB2CActivation) -> None:
    state = get_network().activation_status(activation.network_reference)
    old = activation.status
    if state.status == ActivationRequestStatus.ACTIVE:
        diff = _apply(
            activation,
            {
                "fui": state.fui,
                "agreement_id": state.agreement_id,
                "onboarding_url": state.onboarding_url,
            },
        )
        activation.status = SwedenActivationStatus.ACTIVE
        activation.activated_at = timezone.now()
        action = Action.B2CSE_ACTIVE
    elif state.status == ActivationRequestStatus.REJECTED:
        diff = []
        activation.status = SwedenActivationStatus.REJECTED
        activation.error = state.error
        action = Action.B2CSE_REJECTED
    else:
        return
    activation.save()
    _record(
        company=activation.branch.company,
        branch=activation.branch,
        actor=None,
        action=action,
        changes=[_status_change(old, activation.status), *diff],
    )


def poll_activation_status(
    *, activation: NorwayB2CActivation | SwedenB2CActivation
) -> NorwayB2CActivation | SwedenB2CActivation:
    """Ask the network how a waiting activation is doing and record any outcome."""
    model = type(activation)
    waiting = (
        NorwayActivationStatus.ACTIVATING
        if model is NorwayB2CActivation
        else SwedenActivationStatus.PENDING
    )
    with transaction.atomic():
        # skip_locked: a second poller (beat and a manual refresh) leaves a busy row alone.
        locked = (
            model.objects.select_for_update(skip_locked=True)
            .select_related("branch__company")
            .filter(pk=activation.pk, status=waiting)
            .first()
        )
        if locked is None:
            return model.objects.get(pk=activation.pk)
        if model is NorwayB2CActivation:
            _poll_norway(locked)
        else:
            _poll_sweden(locked)
        return locked


def poll_pending_activations() -> int:
    """Poll every activation the network has not answered yet; returns how many were asked."""
    waiting: list[NorwayB2CActivation | SwedenB2CActivation] = [
        *NorwayB2CActivation.objects.filter(status=NorwayActivationStatus.ACTIVATING),
        *SwedenB2CActivation.objects.filter(status=SwedenActivationStatus.PENDING),
    ]
    for activation in waiting:
        try:
            poll_activation_status(activation=activation)
        except NetworkError:
            # One unreachable answer must not stop the others; the next beat asks again.
            logger.exception("Polling activation %s failed", activation.network_reference)
    return len(waiting)
