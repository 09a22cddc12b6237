"""The simulated network's side of service activation.

It behaves like the real operators: a request is stored and stays *pending* until its
`completes_at` (a configurable delay); whoever asks `activation_status` after that learns the
outcome. The answer is computed on the network side only — the app learns it by polling, the
same way it would learn it from Nets (Norway) or InConx via Maventa (Sweden).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from b2cportal import identifiers
from b2cportal.network.adapter import (
    ActivationApi,
    ActivationState,
    ActivationStatus,
    PermanentNetworkError,
)
from simulator.models import (
    ActivationRequest,
    ActivationRequestStatus,
    RegisterEntry,
    ServiceKind,
)

# The bank ID the simulated distributor uses when it creates the FUI itself (Bankgirocentralen).
GENERATED_BANK_ID = "BGC"
MAX_ACCOUNTS_PER_FUI = 99


def _delay_for(service: str) -> timedelta:
    if service == ServiceKind.B2CSE:
        return timedelta(seconds=settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS)
    return timedelta(seconds=settings.SIMULATED_ACTIVATION_DELAY_SECONDS)


def _state(request: ActivationRequest) -> ActivationState:
    result = request.result or {}
    return ActivationState(
        reference=str(request.reference),
        status=ActivationStatus(request.status),
        fui=result.get("fui", ""),
        agreement_id=result.get("agreement_id", ""),
        onboarding_url=result.get("onboarding_url", ""),
        error=result.get("error", ""),
        accounts=tuple(result.get("accounts", [])),
    )


def _get(reference: str, *, lock: bool = False) -> ActivationRequest:
    try:
        key = uuid.UUID(str(reference))
    except ValueError as exc:
        raise PermanentNetworkError(f"Unknown activation reference {reference}") from exc
    queryset = ActivationRequest.objects.all()
    if lock:
        queryset = queryset.select_for_update()
    try:
        return queryset.get(reference=key)
    except ActivationRequest.DoesNotExist as exc:
        raise PermanentNetworkError(f"Unknown activation reference {reference}") from exc


def onboarding_url(*, fui: str) -> str:
    """The consumer onboarding page the network generates for an active B2CSE sender: the
    simulated online bank's FMI onboarding page for this sender's FUI."""
    path = reverse("simulator_consumers:onboarding", args=[fui])
    return settings.SITE_URL.rstrip("/") + path


def _complete(request: ActivationRequest) -> None:
    """Decide the outcome the way the real network would, when the delay has passed."""
    payload = request.payload or {}
    registered = RegisterEntry.objects.filter(
        country="SE" if request.service == ServiceKind.B2CSE else "NO",
        organisation_number=request.organisation_number,
    ).first()
    if request.service == ServiceKind.B2CSE and (
        registered is None or registered.name != payload.get("company_name")
    ):
        # Bolagsverket check: the sender's name must match the register exactly.
        request.status = ActivationRequestStatus.REJECTED
        request.result = {
            "error": "The company name does not match the name registered in Bolagsverket."
        }
        return
    result: dict = {}
    if request.service == ServiceKind.B2CSE:
        agreement_id = payload.get("agreement_id") or ""
        fui = payload.get("fui") or ""
        if fui and not agreement_id:
            agreement_id = identifiers.parse_fui(fui).agreement_id
        if not agreement_id:
            # Stable per request, 11 digits, so a re-poll always reports the same identity.
            agreement_id = f"{request.reference.int % 10**11:011d}"
        if not fui:
            fui = identifiers.make_fui(
                identifiers.organisation_number_12(request.organisation_number),
                agreement_id,
                GENERATED_BANK_ID,
            )
        result = {
            "fui": fui,
            "agreement_id": agreement_id,
            "onboarding_url": onboarding_url(fui=fui),
            "accounts": [payload.get("account", "")],
        }
    request.status = ActivationRequestStatus.ACTIVE
    request.result = result


class SimulatedActivation(ActivationApi):
    """The simulated network's side of `ActivationApi`."""

    def register_name(self, *, country: str, organisation_number: str) -> str | None:
        entry = RegisterEntry.objects.filter(
            country=country, organisation_number=organisation_number
        ).first()
        return entry.name if entry else None

    def submit_activation(
        self,
        *,
        service: str,
        organisation_number: str,
        company_name: str,
        payload: dict,
        idempotency_key: str = "",
    ) -> str:
        if service not in ServiceKind.values:
            raise PermanentNetworkError(f"Unknown service {service!r}")
        fields = {
            "service": service,
            "organisation_number": organisation_number,
            "payload": {**payload, "company_name": company_name},
            "completes_at": timezone.now() + _delay_for(service),
        }
        if not idempotency_key:
            return str(ActivationRequest.objects.create(**fields).reference)
        try:
            key = uuid.UUID(str(idempotency_key))
        except ValueError as exc:
            raise PermanentNetworkError(f"Invalid idempotency key {idempotency_key!r}") from exc
        # Like the operators' APIs: the same key again is the same request, never a second one.
        request, _created = ActivationRequest.objects.get_or_create(reference=key, defaults=fields)
        return str(request.reference)

    @transaction.atomic
    def activation_status(self, reference: str) -> ActivationState:
        request = _get(reference, lock=True)
        if (
            request.status == ActivationRequestStatus.PENDING
            and timezone.now() >= request.completes_at
        ):
            _complete(request)
            request.save(update_fields=["status", "result"])
        return _state(request)

    @transaction.atomic
    def deactivate(self, reference: str) -> None:
        request = _get(reference, lock=True)
        if request.status == ActivationRequestStatus.DEACTIVATED:
            return  # a retry of a deactivation that went through
        if request.status != ActivationRequestStatus.ACTIVE:
            raise PermanentNetworkError("Only an active service can be deactivated.")
        request.status = ActivationRequestStatus.DEACTIVATED
        request.save(update_fields=["status"])

    @transaction.atomic
    def add_receiving_account(
        self, reference: str, *, account_type: str, account_number: str
    ) -> None:
        request = _get(reference, lock=True)
        if request.service != ServiceKind.B2CSE or request.status != ActivationRequestStatus.ACTIVE:
            raise PermanentNetworkError("Accounts can only be added to an active B2CSE service.")
        accounts = list(request.result.get("accounts", []))
        account = f"{account_type}:{account_number}"
        if account in accounts:
            return
        if len(accounts) >= MAX_ACCOUNTS_PER_FUI:
            raise PermanentNetworkError("An FUI holds at most 99 account numbers.")
        request.result = {**request.result, "accounts": [*accounts, account]}
        request.save(update_fields=["result"])

    # --- Simulator controls (not part of ActivationApi; only the simulator pages call them) ---

    @transaction.atomic
    def complete_now(self, reference: str) -> None:
        """Let a pending activation complete at the next status poll (demos and tests)."""
        request = _get(reference, lock=True)
        if request.status != ActivationRequestStatus.PENDING:
            raise PermanentNetworkError("Only a pending activation can be completed.")
        request.completes_at = timezone.now()
        request.save(update_fields=["completes_at"])

    def set_register_name(self, *, country: str, organisation_number: str, name: str) -> None:
        """Record the company's name in the simulated national register."""
        RegisterEntry.objects.update_or_create(
            country=country, organisation_number=organisation_number, defaults={"name": name}
        )
