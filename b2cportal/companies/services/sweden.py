"""Sweden: the B2CSE service (via the certified technical distributor) and its accounts.

As in Norway, the network is called between two short transactions, never inside one: the
first records the intent and its idempotency key, the second the network's answer. And as for
accepting the Norwegian terms, the administrator's click only records the intent and queues a
task on commit: *Activate* and *Add account* never wait for the network; the page says the
request is being sent to Maventa and updates when the answer is recorded.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from b2cportal import identifiers
from b2cportal.audit.models import AuditAction as Action
from b2cportal.audit.services import Change
from b2cportal.network.adapter import NetworkError, NotSupportedByNetwork, Service, get_network
from b2cportal.queueing import publish_on_commit

from .. import rules
from ..models import (
    Branch,
    SwedenActivationStatus,
    SwedenB2CActivation,
    SwedenReceivingAccount,
)
from .history import CompanyError, apply_changes, locked_activation, record, status_change


def _clean_account(account_type: str, account_number: str) -> str:
    try:
        return rules.clean_giro_account(account_type, account_number)
    except ValidationError as exc:
        raise CompanyError(
            _("Account number: %(rule)s") % {"rule": " ".join(exc.messages)},
            field="account_number",
        ) from None


def _queue(task_name: str, *args: object) -> None:
    from .. import tasks  # tasks import services; import late to avoid a cycle

    publish_on_commit(getattr(tasks, task_name), *args)


def _actor(activation_pending: dict[str, Any]) -> User | None:
    actor_id = activation_pending.get("actor")
    return User.objects.filter(pk=actor_id).first() if actor_id else None


@transaction.atomic
def _claim_submission(
    branch: Branch, fields: dict[str, str], acting_user: User
) -> tuple[SwedenB2CActivation, str]:
    """Record the request and the key the network will be given; refuse a second activation.

    Returns an empty key for a double submit (already pending, or already on its way).
    """
    activation = locked_activation(SwedenB2CActivation, branch)
    if activation.status in (SwedenActivationStatus.PENDING, SwedenActivationStatus.ACTIVE):
        if activation.status == SwedenActivationStatus.PENDING and all(
            getattr(activation, k) == v for k, v in fields.items()
        ):
            return activation, ""  # double submit
        raise CompanyError(
            _("The B2CSE service is already in status “%(status)s”.")
            % {"status": activation.get_status_display()}
        )
    pending = activation.pending_submission or {}
    if pending.get("key"):
        if pending.get("fields") == fields:
            return activation, ""  # double submit: this request is on its way already
        raise CompanyError(
            _("The activation is being sent to Maventa. Wait for its answer before changing it.")
        )
    key = str(uuid.uuid4())
    # Only the intent is stored: the visible state stays as it was until the network answers.
    activation.pending_submission = {"key": key, "fields": fields, "actor": acting_user.pk}
    activation.error = ""
    activation.save(update_fields=["pending_submission", "error", "updated_at"])
    _queue("send_sweden_activation", activation.pk)  # leaves once this intent is committed
    return activation, key


@transaction.atomic
def _record_submission(*, activation_id: int, key: str, reference: str) -> SwedenB2CActivation:
    """The network took the activation; now *pending*."""
    activation = (
        SwedenB2CActivation.objects.select_for_update()
        .select_related("branch__company")
        .get(pk=activation_id)
    )
    pending = activation.pending_submission or {}
    if not activation.is_being_sent or pending.get("key") != key:
        return activation  # a simultaneous run with the same key recorded it already
    old_status = activation.status
    diff = apply_changes(activation, pending["fields"])
    activation.status = SwedenActivationStatus.PENDING
    activation.submitted_at = timezone.now()
    activation.network_reference = reference
    activation.pending_submission = {}
    activation.error = ""
    activation.save()
    record(
        company=activation.branch.company,
        branch=activation.branch,
        actor=_actor(pending),
        action=Action.B2CSE_SUBMITTED,
        changes=[status_change(old_status, activation.status), *diff],
    )
    return activation


@transaction.atomic
def _record_refusal(
    *, activation_id: int, key: str, error: str, field: str = ""
) -> SwedenB2CActivation:
    """The network (or the register check) refused: the state stays as it was, with the reason.

    The refused details stay in `pending_submission` (without a key) so the form shows them
    again; `field` "company_name" makes the page offer to correct the company name.
    """
    activation = SwedenB2CActivation.objects.select_for_update().get(pk=activation_id)
    pending = activation.pending_submission or {}
    if not activation.is_being_sent or pending.get("key") != key:
        return activation
    activation.pending_submission = {"fields": pending.get("fields", {}), "refused": field}
    activation.error = error
    activation.save(update_fields=["pending_submission", "error", "updated_at"])
    return activation


def submit_sweden_activation(
    *,
    branch: Branch,
    acting_user: User,
    account_type: str,
    account_number: str,
    fui: str = "",
    agreement_id: str = "",
) -> SwedenB2CActivation:
    """The *Activate* click: check the input, record the request and queue it for the network.

    The click never waits for the network: `send_sweden_activation` (task, then the periodic
    poll) checks the name against the national register and submits with the stored key; a
    refusal is shown on the page afterwards. A repeated identical submit changes nothing.
    """
    company = branch.company
    if not company.is_swedish:
        raise CompanyError(_("B2CSE is only available for Swedish companies."))
    account = _clean_account(account_type, account_number)
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
    fields = {
        "account_type": account_type,
        "account_number": account,
        "fui": fui,
        "agreement_id": agreement_id,
    }
    activation, _key = _claim_submission(branch, fields, acting_user)
    return activation


def send_sweden_activation(*, activation_id: int) -> SwedenB2CActivation | None:
    """Check the name against the register and submit a recorded activation, with its key.

    A no-op when nothing is on its way. Transient network errors are raised for the caller to
    retry (the task, then the periodic poll) with the same key; a refusal is recorded.
    """
    activation = (
        SwedenB2CActivation.objects.select_related("branch__company")
        .filter(pk=activation_id)
        .first()
    )
    if activation is None or not activation.is_being_sent:
        return activation
    pending = activation.pending_submission
    key, fields = pending["key"], pending["fields"]
    company = activation.branch.company
    network = get_network(company)
    try:
        try:
            registered_name = network.register_name(
                country=company.country, organisation_number=company.organisation_number
            )
        except NotSupportedByNetwork:
            problem: str | None = ""  # this network checks the name against the register itself
        else:
            problem = rules.register_name_error(
                registered_name=registered_name, company_name=company.name
            )
        if problem:
            return _record_refusal(
                activation_id=activation.pk, key=key, error=problem, field="company_name"
            )
        reference = network.submit_activation(
            service=Service.B2CSE,
            organisation_number=company.organisation_number,
            company_name=company.name,
            payload={
                "account_type": fields["account_type"],
                "account": f"{fields['account_type']}:{fields['account_number']}",
                "fui": fields["fui"],
                "agreement_id": fields["agreement_id"],
            },
            idempotency_key=key,
        )
    except NetworkError as exc:
        if exc.transient:
            raise
        return _record_refusal(
            activation_id=activation.pk,
            key=key,
            error=_("The network could not take the activation: %(error)s") % {"error": exc},
        )
    return _record_submission(activation_id=activation.pk, key=key, reference=reference)


def accounts_under_fui(fui: str) -> int:
    """How many receiving accounts an FUI holds in our records (each activation's own + extra).

    Accounts still waiting for the network's answer count too: they hold their place.
    """
    return (
        SwedenB2CActivation.objects.filter(fui=fui).exclude(account_number="").count()
        + SwedenReceivingAccount.objects.filter(activation__fui=fui).count()
    )


@transaction.atomic
def _reserve_account(
    branch: Branch, account_type: str, account_number: str
) -> tuple[SwedenB2CActivation, SwedenReceivingAccount]:
    """Step 1: under the activation's lock, check the rules and hold a place for the account."""
    activation = locked_activation(SwedenB2CActivation, branch)
    if activation.status != SwedenActivationStatus.ACTIVE:
        raise CompanyError(_("Accounts can be added once the B2CSE service is active."))
    account = _clean_account(account_type, account_number)
    existing = activation.receiving_accounts.filter(
        account_type=account_type, account_number=account
    ).first()
    if (activation.account_type, activation.account_number) == (account_type, account) or (
        existing is not None and existing.confirmed
    ):
        raise CompanyError(
            _("Account number: this account is already registered for the FUI."),
            field="account_number",
        )
    if existing is not None:
        return activation, existing  # an earlier attempt never heard back: ask again
    if accounts_under_fui(activation.fui) >= rules.MAX_ACCOUNTS_PER_FUI:
        raise CompanyError(
            _("Account number: the FUI %(fui)s already holds %(max)s accounts, the most allowed.")
            % {"fui": activation.fui, "max": rules.MAX_ACCOUNTS_PER_FUI},
            field="account_number",
        )
    reserved = SwedenReceivingAccount.objects.create(
        activation=activation, account_type=account_type, account_number=account, confirmed=False
    )
    return activation, reserved


def add_receiving_account(
    *, branch: Branch, acting_user: User, account_type: str, account_number: str
) -> SwedenReceivingAccount:
    """Add one more Bankgiro/PlusGiro account under the active FUI (at most 99 per FUI).

    The click holds the account's place and queues `send_receiving_account` on commit; the
    page lists the account as being added until the network confirms it.
    """
    with transaction.atomic():
        activation, reserved = _reserve_account(branch, account_type, account_number)
        if activation.error:  # an earlier refusal, already shown: this is a new request
            SwedenB2CActivation.objects.filter(pk=activation.pk).update(error="")
        _queue("send_receiving_account", reserved.pk, acting_user.pk)
    return reserved


def _refuse_account(account: SwedenReceivingAccount, error: str) -> None:
    with transaction.atomic():
        if SwedenReceivingAccount.objects.filter(pk=account.pk, confirmed=False).delete()[0]:
            SwedenB2CActivation.objects.filter(pk=account.activation_id).update(error=error)


def send_receiving_account(
    *, account_id: int, acting_user_id: int | None = None
) -> SwedenReceivingAccount | None:
    """Add a held account at the network (idempotent there), then confirm it here.

    Transient errors are raised for a retry (the task, then the periodic poll); a refusal
    frees the place and is shown on the page.
    """
    reserved = (
        SwedenReceivingAccount.objects.select_related("activation__branch__company")
        .filter(pk=account_id, confirmed=False)
        .first()
    )
    if reserved is None:
        return None
    activation = reserved.activation
    branch = activation.branch
    try:
        # Idempotent at the network: the same account added twice is one account.
        get_network(branch.company).add_receiving_account(
            activation.network_reference,
            account_type=reserved.account_type,
            account_number=reserved.account_number,
        )
    except NotSupportedByNetwork:
        _refuse_account(
            reserved,
            _(
                "Account number: this network does not take more receiving accounts through "
                "the API. Ask the operator to add the account to your FUI."
            ),
        )
        return None
    except NetworkError as exc:
        if exc.transient:
            raise
        _refuse_account(reserved, _("The network refused the account: %(error)s") % {"error": exc})
        return None
    with transaction.atomic():
        confirmed = SwedenReceivingAccount.objects.filter(pk=reserved.pk, confirmed=False).update(
            confirmed=True
        )
        if confirmed:
            record(
                company=branch.company,
                branch=branch,
                actor=User.objects.filter(pk=acting_user_id).first() if acting_user_id else None,
                action=Action.B2CSE_ACCOUNT_ADDED,
                changes=[
                    Change(
                        "account_number", None, f"{reserved.account_type} {reserved.account_number}"
                    )
                ],
            )
    reserved.confirmed = True
    return reserved
