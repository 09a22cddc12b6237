"""Asking the network how waiting activations are doing (the periodic poll and a manual refresh)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from b2cportal.network.adapter import NetworkError, get_network
from b2cportal.network.models import ActivationRequestStatus

from ..models import (
    ConsumerEInvoiceService,
    NorwayActivationStatus,
    NorwayB2CActivation,
    SwedenActivationStatus,
    SwedenB2CActivation,
)
from ..models import SettingsAction as Action
from .history import apply_changes as _apply
from .history import record as _record
from .history import status_change as _status_change
from .settings import set_consumer_einvoice_service

logger = logging.getLogger(__name__)


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
    if activation.status == NorwayActivationStatus.ACTIVE:
        set_consumer_einvoice_service(
            branch=activation.branch, service=ConsumerEInvoiceService.AUTOINVOICE_B2C
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
    if activation.status == SwedenActivationStatus.ACTIVE:
        set_consumer_einvoice_service(
            branch=activation.branch, service=ConsumerEInvoiceService.B2CSE
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


def poll_activation_by_reference(reference: str) -> None:
    """Poll the waiting activation with this network reference now, if there is one."""
    for model, waiting in (
        (NorwayB2CActivation, NorwayActivationStatus.ACTIVATING),
        (SwedenB2CActivation, SwedenActivationStatus.PENDING),
    ):
        activation = model.objects.filter(network_reference=reference, status=waiting).first()
        if activation is not None:
            poll_activation_status(activation=activation)
