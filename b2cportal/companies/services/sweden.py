"""Sweden: the B2CSE service (via the certified technical distributor) and its accounts.

As in Norway, the network is called between two short transactions, never inside one: the
first records the intent and its idempotency key, the second the network's answer.
"""

from __future__ import annotations

import contextlib
import uuid

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from b2cportal import identifiers
from b2cportal.audit.models import AuditAction as Action
from b2cportal.audit.services import Change
from b2cportal.network.adapter import NetworkError, NotSupportedByNetwork, Service, get_network

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


@transaction.atomic
def _claim_submission(branch: Branch, fields: dict[str, str]) -> tuple[SwedenB2CActivation, str]:
    """Step 1: refuse a second activation, else record the key the network will be given.

    Returns an empty key for a double submit of the pending activation (nothing to send).
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
    if pending.get("fields") == fields and pending.get("key"):
        return activation, pending["key"]  # a retry of the same request: same key
    key = str(uuid.uuid4())
    # Only the intent is stored: the visible state stays as it was until the network answers.
    activation.pending_submission = {"key": key, "fields": fields}
    activation.save(update_fields=["pending_submission", "updated_at"])
    return activation, key


@transaction.atomic
def _record_submission(
    *, branch: Branch, acting_user: User, fields: dict[str, str], reference: str
) -> SwedenB2CActivation:
    """Step 3: the network took the activation; now *pending*."""
    activation = locked_activation(SwedenB2CActivation, branch)
    if activation.status in (SwedenActivationStatus.PENDING, SwedenActivationStatus.ACTIVE):
        return activation  # a simultaneous submit with the same key recorded it already
    old_status = activation.status
    diff = apply_changes(activation, fields)
    activation.status = SwedenActivationStatus.PENDING
    activation.submitted_at = timezone.now()
    activation.network_reference = reference
    activation.pending_submission = {}
    activation.error = ""
    activation.save()
    record(
        company=branch.company,
        branch=branch,
        actor=acting_user,
        action=Action.B2CSE_SUBMITTED,
        changes=[status_change(old_status, activation.status), *diff],
    )
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
    """Send the B2CSE activation to the network; it stays pending until the network completes.

    Refused (nothing saved) when an input breaks a rule or the company name differs from the
    national register's. A repeated identical submit returns the pending activation unchanged.
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
    network = get_network(company)
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
        raise CompanyError(problem, field="company_name")
    fields = {
        "account_type": account_type,
        "account_number": account,
        "fui": fui,
        "agreement_id": agreement_id,
    }
    activation, key = _claim_submission(branch, fields)
    if not key:
        return activation
    try:
        reference = network.submit_activation(
            service=Service.B2CSE,
            organisation_number=company.organisation_number,
            company_name=company.name,
            payload={
                "account_type": account_type,
                "account": f"{account_type}:{account}",
                "fui": fui,
                "agreement_id": agreement_id,
            },
            idempotency_key=key,
        )
    except NetworkError as exc:
        raise CompanyError(
            _("The network could not take the activation: %(error)s") % {"error": exc}
        ) from exc
    return _record_submission(
        branch=branch, acting_user=acting_user, fields=fields, reference=reference
    )


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
    """Add one more Bankgiro/PlusGiro account under the active FUI (at most 99 per FUI)."""
    activation, reserved = _reserve_account(branch, account_type, account_number)
    try:
        # Idempotent at the network: the same account added twice is one account.
        get_network(branch.company).add_receiving_account(
            activation.network_reference,
            account_type=reserved.account_type,
            account_number=reserved.account_number,
        )
    except NotSupportedByNetwork as exc:
        SwedenReceivingAccount.objects.filter(pk=reserved.pk, confirmed=False).delete()
        raise CompanyError(
            _(
                "Account number: this network does not take more receiving accounts through "
                "the API. Ask the operator to add the account to your FUI."
            ),
            field="account_number",
        ) from exc
    except NetworkError as exc:
        SwedenReceivingAccount.objects.filter(pk=reserved.pk, confirmed=False).delete()
        raise CompanyError(
            _("The network refused the account: %(error)s") % {"error": exc},
            field="account_number",
        ) from exc
    with transaction.atomic():
        confirmed = SwedenReceivingAccount.objects.filter(pk=reserved.pk, confirmed=False).update(
            confirmed=True
        )
        if confirmed:
            record(
                company=branch.company,
                branch=branch,
                actor=acting_user,
                action=Action.B2CSE_ACCOUNT_ADDED,
                changes=[
                    Change(
                        "account_number", None, f"{reserved.account_type} {reserved.account_number}"
                    )
                ],
            )
    reserved.confirmed = True
    return reserved
