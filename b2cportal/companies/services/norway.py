"""Norway: the AutoInvoice B2C service (consumer e-invoice to the bank).

Network calls never run inside a database transaction: a short transaction records the intent
(with the idempotency key the network is given), the call happens after it commits, and a second
short transaction records the result. A crash in between leaves the intent; the retry sends the
same key, so the network never holds two activations for one acceptance.

Accepting the terms is the signer's click on a web page: it only records the acceptance (with the
key) and queues `submit_norway_activation` on commit, so the page never waits for the network.
"""

from __future__ import annotations

import secrets
import uuid
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from b2cportal import identifiers
from b2cportal.audit.models import AuditAction as Action
from b2cportal.audit.services import Change
from b2cportal.network.adapter import NetworkError, Service, get_network
from b2cportal.queueing import publish_on_commit

from .. import rules
from ..models import (
    AutoInvoiceSettings,
    Branch,
    ConsumerEInvoiceService,
    NorwayActivationStatus,
    NorwayB2CActivation,
)
from .history import (
    CompanyError,
    TermsLinkError,
    apply_changes,
    locked_activation,
    record,
    status_change,
)
from .settings import set_consumer_einvoice_service

TERMS_SALT = "companies.b2cno.terms"
CAPTURE_KID_FIELDS = (
    "capture_kid_length",
    "capture_customer_number_start",
    "capture_customer_number_end",
)


def terms_token(activation: NorwayB2CActivation) -> str:
    """The signed one-time token for the activation's current terms link."""
    signer = signing.TimestampSigner(salt=TERMS_SALT)
    return signer.sign_object({"a": activation.pk, "n": activation.terms_nonce})


def terms_url(activation: NorwayB2CActivation) -> str:
    return str(settings.SITE_URL).rstrip("/") + reverse(
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
    from ..tasks import send_terms_email  # tasks import services; import late to avoid a cycle

    publish_on_commit(send_terms_email, activation.pk, activation.terms_nonce, language)


@transaction.atomic
def request_norway_activation(
    *,
    branch: Branch,
    acting_user: User,
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
    activation = locked_activation(NorwayB2CActivation, branch)
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
    diff = apply_changes(activation, fields)
    activation.status = NorwayActivationStatus.AWAITING_TERMS
    activation.terms_nonce = secrets.token_urlsafe(24)
    activation.terms_sent_at = timezone.now()
    activation.terms_accepted_at = None
    activation.expected_active_on = None
    activation.error = ""
    activation.save()
    record(
        company=company,
        branch=branch,
        actor=acting_user,
        action=Action.B2CNO_TERMS_SENT,
        changes=[status_change(old_status, activation.status), *diff],
    )
    _queue_terms_email(activation, language)
    return activation


@transaction.atomic
def resend_terms_email(
    *, branch: Branch, acting_user: User, language: str = "en"
) -> NorwayB2CActivation:
    """Send the terms email again with a fresh link; the earlier link stops working."""
    activation = locked_activation(NorwayB2CActivation, branch)
    if activation.status != NorwayActivationStatus.AWAITING_TERMS:
        raise CompanyError(_("There is no open request to accept the terms of service."))
    previous_sent_at = activation.terms_sent_at
    activation.terms_nonce = secrets.token_urlsafe(24)
    activation.terms_sent_at = timezone.now()
    activation.save()
    record(
        company=branch.company,
        branch=branch,
        actor=acting_user,
        action=Action.B2CNO_TERMS_SENT,
        changes=[Change("terms_sent_at", previous_sent_at, activation.terms_sent_at)],
    )
    _queue_terms_email(activation, language)
    return activation


def _deliver_terms_email(message: EmailMultiAlternatives, activation_id: int, nonce: str) -> None:
    """Runs after the mark committed; a failed send takes the mark back so the retry sends."""
    try:
        message.send()
    except Exception:
        NorwayB2CActivation.objects.filter(pk=activation_id, terms_emailed_nonce=nonce).update(
            terms_emailed_nonce=""
        )
        raise


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
        # The mark commits first, the email leaves after: a second task sees the mark and
        # stops, and nothing is mailed for a transaction that rolled back.
        NorwayB2CActivation.objects.filter(pk=activation.pk).update(terms_emailed_nonce=nonce)
        transaction.on_commit(partial(_deliver_terms_email, message, activation.pk, nonce))
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


def _locked_for_token(token: str) -> NorwayB2CActivation:
    found = read_terms_link(token)
    activation = (
        NorwayB2CActivation.objects.select_for_update()
        .select_related("branch__company")
        .get(pk=found.pk)
    )
    # Re-check under the lock: a second click that waited for the first one must see it used.
    read_terms_link(token)
    return activation


def _acceptance_payload(activation: NorwayB2CActivation) -> dict[str, Any]:
    return {
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


def _queue_submission(activation: NorwayB2CActivation) -> None:
    from ..tasks import submit_norway_activation  # tasks import services; import late

    publish_on_commit(submit_norway_activation, activation.pk)


@transaction.atomic
def accept_terms(*, token: str) -> NorwayB2CActivation:
    """The signer accepted the terms: now *activating*; the activation goes to the network
    after commit (`submit_norway_activation`), so the signer never waits for the network.

    The idempotency key is stored with the acceptance: every retry of the submission (the
    task's, the periodic poll's) sends the same key, so the network holds one activation.
    """
    activation = _locked_for_token(token)
    old_status = activation.status
    activation.status = NorwayActivationStatus.ACTIVATING
    activation.terms_nonce = ""
    activation.terms_accepted_at = timezone.now()
    # Nets and the banks need up to one working day (weekends and public holidays skipped).
    activation.expected_active_on = identifiers.add_norwegian_working_days(timezone.localdate(), 1)
    activation.network_reference = ""
    activation.pending_submission = {"key": str(uuid.uuid4())}
    activation.error = ""
    activation.save()
    record(
        company=activation.branch.company,
        branch=activation.branch,
        actor=None,
        action=Action.B2CNO_TERMS_ACCEPTED,
        by=f"{activation.signer_name} <{activation.signer_email}>",
        changes=[
            status_change(old_status, activation.status),
            Change("expected_active_on", None, activation.expected_active_on),
        ],
    )
    _queue_submission(activation)
    return activation


@transaction.atomic
def _record_submission(*, activation_id: int, key: str, reference: str) -> NorwayB2CActivation:
    """The network took the activation: keep its reference (polled until it is active)."""
    activation = NorwayB2CActivation.objects.select_for_update().get(pk=activation_id)
    if activation.is_being_sent and activation.pending_submission.get("key") == key:
        activation.network_reference = reference
        activation.pending_submission = {}
        activation.save(update_fields=["network_reference", "pending_submission", "updated_at"])
    return activation  # otherwise a simultaneous run recorded it already


@transaction.atomic
def _record_refusal(*, activation_id: int, key: str, error: str) -> NorwayB2CActivation:
    """The network refused the activation for good: back to *not activated*, with its reason."""
    activation = (
        NorwayB2CActivation.objects.select_for_update()
        .select_related("branch__company")
        .get(pk=activation_id)
    )
    if not activation.is_being_sent or activation.pending_submission.get("key") != key:
        return activation
    old_status = activation.status
    activation.status = NorwayActivationStatus.NOT_ACTIVATED
    activation.error = _("The network could not take the activation: %(error)s") % {"error": error}
    activation.pending_submission = {}
    activation.save()
    record(
        company=activation.branch.company,
        branch=activation.branch,
        actor=None,
        action=Action.B2CNO_REJECTED,
        changes=[status_change(old_status, activation.status)],
    )
    return activation


def submit_norway_activation(*, activation_id: int) -> NorwayB2CActivation | None:
    """Send an accepted activation to the network, once; a no-op when it was sent already.

    Transient network errors are raised for the caller to retry (the task, then the periodic
    poll), always with the key stored at acceptance; a refusal ends the attempt with its reason.
    """
    activation = (
        NorwayB2CActivation.objects.select_related("branch__company")
        .filter(pk=activation_id)
        .first()
    )
    if activation is None or not activation.is_being_sent:
        return activation
    key = activation.pending_submission.get("key") or ""
    company = activation.branch.company
    try:
        reference = get_network(company).submit_activation(
            service=Service.B2CNO,
            organisation_number=company.organisation_number,
            company_name=company.name,
            payload=_acceptance_payload(activation),
            idempotency_key=key,
        )
    except NetworkError as exc:
        if exc.transient:
            raise
        return _record_refusal(activation_id=activation.pk, key=key, error=str(exc))
    return _record_submission(activation_id=activation.pk, key=key, reference=reference)


@transaction.atomic
def deactivate_norway_service(*, branch: Branch, acting_user: User) -> NorwayB2CActivation:
    """The confirmed *Deactivate* click: record the request and queue it for the network.

    The service stays active (the page says the deactivation is being sent) until the network
    has taken it (`send_norway_deactivation`); a refusal is shown on the page afterwards.
    """
    activation = locked_activation(NorwayB2CActivation, branch)
    if activation.status != NorwayActivationStatus.ACTIVE:
        raise CompanyError(_("Only an active service can be deactivated."))
    if activation.is_being_deactivated:
        return activation  # double click: the request is on its way
    activation.pending_submission = {"deactivate": True, "actor": acting_user.pk}
    activation.error = ""
    activation.save(update_fields=["pending_submission", "error", "updated_at"])
    from ..tasks import send_norway_deactivation  # tasks import services; import late

    publish_on_commit(send_norway_deactivation, activation.pk)
    return activation


def send_norway_deactivation(*, activation_id: int) -> NorwayB2CActivation | None:
    """Turn a service off at the network (idempotent there), then here; a no-op when no
    deactivation is waiting. Transient errors are raised for a retry."""
    activation = (
        NorwayB2CActivation.objects.select_related("branch__company")
        .filter(pk=activation_id)
        .first()
    )
    if activation is None or not activation.is_being_deactivated:
        return activation
    branch = activation.branch
    try:
        # Idempotent at the network: a retry after a crash finds it deactivated and succeeds.
        get_network(branch.company).deactivate(activation.network_reference)
    except NetworkError as exc:
        if exc.transient:
            raise
        with transaction.atomic():
            NorwayB2CActivation.objects.filter(
                pk=activation.pk, status=NorwayActivationStatus.ACTIVE
            ).update(
                pending_submission={},
                error=_("The network could not deactivate the service: %(error)s") % {"error": exc},
            )
        return None
    with transaction.atomic():
        activation = locked_activation(NorwayB2CActivation, branch)
        if not activation.is_being_deactivated:
            return activation  # a simultaneous run recorded it already
        actor_id = activation.pending_submission.get("actor")
        acting_user = User.objects.filter(pk=actor_id).first() if actor_id else None
        old_status = activation.status
        activation.status = NorwayActivationStatus.DEACTIVATED
        activation.deactivated_at = timezone.now()
        activation.pending_submission = {}
        activation.save()
        record(
            company=branch.company,
            branch=branch,
            actor=acting_user,
            action=Action.B2CNO_DEACTIVATED,
            changes=[status_change(old_status, activation.status)],
        )
        settings_row = AutoInvoiceSettings.objects.filter(branch=branch).first()
        if (
            settings_row is not None
            and settings_row.consumer_einvoice_service == ConsumerEInvoiceService.AUTOINVOICE_B2C
        ):
            set_consumer_einvoice_service(
                branch=branch, service=ConsumerEInvoiceService.NONE, acting_user=acting_user
            )
        return activation
