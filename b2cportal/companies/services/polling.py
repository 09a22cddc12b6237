"""Asking the network how waiting activations are doing (the periodic poll and a manual refresh)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from b2cportal.audit.models import AuditAction as Action
from b2cportal.audit.models import AuditEntry
from b2cportal.audit.services import Change
from b2cportal.network.adapter import ActivationState, ActivationStatus, NetworkError, get_network
from b2cportal.queueing import publish_on_commit

from ..models import (
    ConsumerEInvoiceService,
    NorwayActivationStatus,
    NorwayB2CActivation,
    SwedenActivationStatus,
    SwedenB2CActivation,
    SwedenReceivingAccount,
)
from .history import apply_changes as _apply
from .history import record as _record
from .history import status_change as _status_change
from .norway import send_norway_deactivation, submit_norway_activation
from .settings import set_consumer_einvoice_service
from .sweden import send_receiving_account, send_sweden_activation

logger = logging.getLogger(__name__)


def _record_norway(activation: NorwayB2CActivation, state: ActivationState) -> None:
    old = activation.status
    if state.status == ActivationStatus.ACTIVE:
        activation.status = NorwayActivationStatus.ACTIVE
        activation.activated_at = timezone.now()
        action = Action.B2CNO_ACTIVE
    elif state.status == ActivationStatus.REJECTED:
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
    if activation.status == NorwayActivationStatus.ACTIVE:
        set_consumer_einvoice_service(
            branch=activation.branch, service=ConsumerEInvoiceService.AUTOINVOICE_B2C
        )


def _record_sweden(activation: SwedenB2CActivation, state: ActivationState) -> None:
    old = activation.status
    if state.status == ActivationStatus.ACTIVE:
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
    elif state.status == ActivationStatus.REJECTED:
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
    if activation.status == SwedenActivationStatus.ACTIVE:
        set_consumer_einvoice_service(
            branch=activation.branch, service=ConsumerEInvoiceService.B2CSE
        )


def poll_activation_status(
    *, activation: NorwayB2CActivation | SwedenB2CActivation
) -> NorwayB2CActivation | SwedenB2CActivation:
    """Ask the network how a waiting activation is doing and record any outcome.

    The network is asked first, outside any transaction; only then is the row locked, briefly,
    to record the answer — if it is still waiting for that same reference.
    """
    model = type(activation)
    waiting = (
        NorwayActivationStatus.ACTIVATING
        if model is NorwayB2CActivation
        else SwedenActivationStatus.PENDING
    )
    current = (
        model.objects.select_related("branch__company")
        .filter(pk=activation.pk, status=waiting)
        .first()
    )
    if current is None:
        return model.objects.get(pk=activation.pk)
    reference = current.network_reference
    if not reference:
        return current  # accepted, still on its way to the network: nothing to ask yet
    state = get_network(current.branch.company).activation_status(reference)
    if state.status not in (ActivationStatus.ACTIVE, ActivationStatus.REJECTED):
        _note_network_status(current, state)
        return current
    with transaction.atomic():
        # skip_locked: a second poller (beat and a manual refresh) leaves a busy row alone.
        locked = (
            model.objects.select_for_update(skip_locked=True)
            .select_related("branch__company")
            .filter(pk=activation.pk, status=waiting, network_reference=reference)
            .first()
        )
        if locked is None:
            return model.objects.get(pk=activation.pk)
        if isinstance(locked, NorwayB2CActivation):
            _record_norway(locked, state)
        else:
            _record_sweden(locked, state)
        return locked


def _note_network_status(
    activation: NorwayB2CActivation | SwedenB2CActivation, state: ActivationState
) -> None:
    """A status word the network sent that we cannot read as an outcome (the operator's B2CSE
    statuses are not public): recorded as it came, once per change, so the history and the
    activation screen show it (`selectors.unknown_network_status`). When the network later
    sends a word we know, that is recorded too and the screen stops showing the unknown one."""
    unknown = state.status == ActivationStatus.UNKNOWN and bool(state.raw_status)
    company = activation.branch.company
    last = (
        AuditEntry.objects.filter(
            company=company,
            branch=activation.branch,
            action__in=(Action.NETWORK_STATUS_UNKNOWN, Action.NETWORK_STATUS_REPORTED),
        )
        .order_by("-created_at", "-id")
        .first()
    )
    last_word = (
        str(Change.from_json(last.changes[0]).new or "")
        if last is not None and last.changes
        else ""
    )
    last_was_unknown = last is not None and last.action == Action.NETWORK_STATUS_UNKNOWN
    if not unknown and not last_was_unknown:
        return  # a known status, and no unknown one is on show
    new = (state.raw_status if unknown else (state.raw_status or str(state.status)))[:200]
    if unknown and last_was_unknown and last_word == new:
        return
    with transaction.atomic():
        _record(
            company=company,
            branch=activation.branch,
            actor=None,
            action=Action.NETWORK_STATUS_UNKNOWN if unknown else Action.NETWORK_STATUS_REPORTED,
            changes=[Change("status", last_word, new)],
        )


Activation = NorwayB2CActivation | SwedenB2CActivation
MODELS: dict[str, type[Activation]] = {"no": NorwayB2CActivation, "se": SwedenB2CActivation}


def request_status_check(*, activation: Activation) -> Activation:
    """*Check status now*: mark the activation as being checked and queue the question.

    The click never waits for the network; the page says it is asking the operator and
    updates when `check_activation_now` has recorded the answer (or the reason it got none).
    """
    from ..tasks import check_activation  # tasks import services; import late

    model = type(activation)
    country = "no" if model is NorwayB2CActivation else "se"
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=activation.pk)
        if locked.is_being_checked:
            return locked  # double click: the question is on its way
        locked.pending_submission = {
            **(locked.pending_submission or {}),
            "check": timezone.now().isoformat(),
        }
        locked.error = ""
        locked.save(update_fields=["pending_submission", "error", "updated_at"])
        publish_on_commit(check_activation, country, locked.pk)
    return locked


WAITING = (NorwayActivationStatus.ACTIVATING, SwedenActivationStatus.PENDING)


def _finish_check(model: type[Activation], pk: int, error: str = "") -> None:
    """End the *checking* state. While the activation waits its `error` can only be a check
    that got no answer: a new answer clears it, a new failure (of a requested check) sets it."""
    with transaction.atomic():
        locked = model.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            return
        fields = []
        if locked.is_being_checked:
            locked.pending_submission = {
                k: v for k, v in locked.pending_submission.items() if k != "check"
            }
            fields.append("pending_submission")
            if error:
                locked.error = error
                fields.append("error")
        if not error and locked.error and locked.status in WAITING:
            locked.error = ""
            fields.append("error")
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])


def check_activation_now(*, country: str, activation_id: int) -> Activation | None:
    """Ask the network about one activation and end its *checking* state, answer or not."""
    model = MODELS[country]
    activation = model.objects.filter(pk=activation_id).first()
    if activation is None:
        return None
    try:
        activation = poll_activation_status(activation=activation)
    except NetworkError as exc:
        _finish_check(
            model, activation_id, _("The network did not answer: %(error)s") % {"error": exc}
        )
        raise
    _finish_check(model, activation_id)
    return activation


def _send_unsent() -> None:
    """Send again what a click queued and the network never took (task lost or out of
    retries): accepted Norwegian activations, deactivations, Swedish activations and accounts.
    Each carries the key or reference it was first sent with."""
    sends: list[tuple[Callable[..., object], dict[str, int]]] = [
        (submit_norway_activation, {"activation_id": pk})
        for pk in NorwayB2CActivation.objects.filter(
            status=NorwayActivationStatus.ACTIVATING, network_reference=""
        ).values_list("pk", flat=True)
    ]
    sends += [
        (send_norway_deactivation, {"activation_id": pk})
        for pk in NorwayB2CActivation.objects.filter(
            status=NorwayActivationStatus.ACTIVE, pending_submission__has_key="deactivate"
        ).values_list("pk", flat=True)
    ]
    sends += [
        (send_sweden_activation, {"activation_id": pk})
        for pk in SwedenB2CActivation.objects.exclude(
            status__in=(SwedenActivationStatus.PENDING, SwedenActivationStatus.ACTIVE)
        )
        .filter(pending_submission__has_key="key")
        .values_list("pk", flat=True)
    ]
    sends += [
        (send_receiving_account, {"account_id": pk})
        for pk in SwedenReceivingAccount.objects.filter(confirmed=False).values_list(
            "pk", flat=True
        )
    ]
    for send, kwargs in sends:
        try:
            send(**kwargs)
        except NetworkError:
            logger.exception("Sending %s %s to the network failed", send.__name__, kwargs)


def poll_pending_activations() -> int:
    """Poll every activation the network has not answered yet; returns how many were asked.

    What a click queued and the network never took is sent again first (same key).
    A status check someone asked for and whose task was lost ends here too.
    """
    _send_unsent()
    waiting: list[Activation] = [
        *NorwayB2CActivation.objects.filter(status=NorwayActivationStatus.ACTIVATING),
        *SwedenB2CActivation.objects.filter(status=SwedenActivationStatus.PENDING),
    ]
    for activation in waiting:
        country = "no" if isinstance(activation, NorwayB2CActivation) else "se"
        try:
            check_activation_now(country=country, activation_id=activation.pk)
        except NetworkError:
            # One unreachable answer must not stop the others; the next beat asks again.
            logger.exception("Polling activation %s failed", activation.network_reference)
    for model in MODELS.values():
        for pk in model.objects.filter(pending_submission__has_key="check").values_list(
            "pk", flat=True
        ):
            _finish_check(model, pk)  # no longer waiting: nothing left to ask
    return len(waiting)


def poll_activation_by_reference(reference: str) -> None:
    """Poll the waiting activation with this network reference now, if there is one."""
    for model, waiting in (
        (NorwayB2CActivation, NorwayActivationStatus.ACTIVATING),
        (SwedenB2CActivation, SwedenActivationStatus.PENDING),
    ):
        activation = model.objects.filter(network_reference=reference, status=waiting).first()
        if activation is not None:
            poll_activation_status(activation=activation)
