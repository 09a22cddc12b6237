"""Inbound agreement events from the network (Norway eFaktura, Sweden FMI); one event id is
applied once only."""

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from b2cportal.companies.models import (
    Branch,
    Company,
    Country,
    SwedenB2CActivation,
)
from b2cportal.customers.models import Customer
from b2cportal.identifiers import parse_fmi
from b2cportal.network.adapter import AgreementEvent
from b2cportal.webhooks.selectors import is_listening

from ..models import (
    LIVE_STATUSES,
    AgreementNetwork,
    AgreementSource,
    AgreementStatus,
    ConsumerAgreement,
    EventSource,
)
from .capture import _apply_capture_payment
from .core import (
    AgreementError,
    InboundOutcome,
    _already_seen,
    _live_or_new,
    _lock_for_event,
    _transition,
)

NORWAY_TARGETS = {
    "accepted": AgreementStatus.ACCEPTED,
    "activated": AgreementStatus.ACTIVE,
    "rejected": AgreementStatus.REJECTED,
    "deleted": AgreementStatus.DELETED,
}
SWEDEN_TARGETS = {"fmi_created": AgreementStatus.ACTIVE, "fmi_cancelled": AgreementStatus.DELETED}
EVENT_TYPES = (*NORWAY_TARGETS, *SWEDEN_TARGETS, "capture_payment")


def _norwegian_branch(issuer: str, reference: str) -> Branch:
    """The issuer's branch in one query; on a miss, a second one tells which part is unknown."""
    branch = (
        Branch.objects.select_related("company")
        .filter(
            company__country=Country.NORWAY,
            company__organisation_number=issuer,
            branch_id=reference,
        )
        .first()
    )
    if branch is not None:
        return branch
    if not Company.objects.filter(country=Country.NORWAY, organisation_number=issuer).exists():
        raise AgreementError(
            _("Unknown issuer %(issuer)s.") % {"issuer": issuer}, code="unknown_issuer"
        )
    raise AgreementError(
        _("Unknown branch %(branch)s for this issuer.") % {"branch": reference},
        code="unknown_branch",
    )


def apply_inbound_event(*, event: AgreementEvent | Mapping[str, Any]) -> InboundOutcome:
    """Apply one network event (parsed and authenticated by the adapter's `parse_inbound`);
    one event id is applied once only. A mapping with the fields of `AgreementEvent` is accepted
    too (tests build events that way)."""
    if not isinstance(event, AgreementEvent):
        event = _event_from_mapping(event)
    event_id = event.event_id
    try:
        if event.type in NORWAY_TARGETS:
            return _apply_norway_event(event)
        if event.type in SWEDEN_TARGETS:
            return _apply_sweden_event(event)
        return _apply_capture_payment(event)
    except IntegrityError:
        # Two deliveries of one event raced; the unique event id let exactly one through.
        _already_seen(event_id)
        raise


def _event_from_mapping(data: Mapping[str, Any]) -> AgreementEvent:
    """The `AgreementEvent` a mapping describes; keys that are no field of it are ignored."""
    return AgreementEvent(**{key: value for key, value in data.items() if key in _EVENT_FIELDS})


_EVENT_FIELDS = frozenset(field.name for field in fields(AgreementEvent))


def _lock_norwegian_customer(event: AgreementEvent) -> tuple[Customer, Branch]:
    """Find the issuer's branch and lock the named customer in one query (the hot path of
    every inbound event); a miss is diagnosed afterwards so the error says what is unknown."""
    candidates = (
        Customer.objects.select_for_update(of=("self",))
        .filter(
            company__country=Country.NORWAY,
            company__organisation_number=event.issuer,
            company__branches__branch_id=event.branch,
        )
        .annotate(
            event_branch_id=F("company__branches__id"),
            # Read in the same query so the view knows whether holds can exist (no extra query).
            holds_possible=Coalesce(
                F("company__ledger_preferences__consumer_route_anyway"), Value(False)
            ),
        )
        # The lock is what matters; load only what the event needs. No ordering: the lookup is
        # by a unique key, and the model's default (company name) would add a join sort.
        .only("id", "company_id", "number", "national_id")
        .order_by()
    )
    reference, national_id = event.customer_reference, event.national_id
    customer = next(iter(candidates.filter(number=reference)[:1]), None) if reference else None
    if customer is None and national_id:
        customer = next(iter(candidates.filter(national_id=national_id)[:1]), None)
    if customer is None:
        _norwegian_branch(event.issuer, event.branch)  # raises for issuer/branch
        raise AgreementError(
            _("Unknown customer (reference %(reference)s) for this issuer.")
            % {"reference": reference or "-"},
            code="unknown_customer",
        )
    # No separate "seen" query here: the event insert below hits the unique external id, the
    # transaction rolls back and apply_inbound_event answers "replay" (paths that write no
    # event check explicitly).
    return customer, Branch(pk=customer.event_branch_id, company_id=customer.company_id)


def _lock_live_agreement(event: AgreementEvent) -> ConsumerAgreement | None:
    """The live eFaktura agreement an event names, locked, in one query with what applying
    the event needs: its customer and branch, whether invoices can be held for it, whether
    the company listens for webhooks. None when the customer has no live agreement (or the
    issuer, branch or customer is unknown): the caller then takes the path that may create
    one, under the customer's lock.

    Locking the agreement row alone is enough to change it: every other writer locks it too
    before changing it, and a concurrent change re-checks this query's conditions on the new
    row version (an agreement that stopped being live is not returned).
    """
    reference = event.customer_reference
    if not reference:
        return None
    return (
        ConsumerAgreement.objects.select_for_update(of=("self",))
        .select_related("customer", "branch")
        .filter(
            network=AgreementNetwork.NO_EFAKTURA,
            status__in=LIVE_STATUSES,
            branch__branch_id=event.branch,
            branch__company__country=Country.NORWAY,
            branch__company__organisation_number=event.issuer,
            customer__company=F("branch__company"),
            customer__number=reference,
        )
        .annotate(
            holds_possible=Coalesce(
                F("branch__company__ledger_preferences__consumer_route_anyway"), Value(False)
            ),
            listening=is_listening("branch__company_id"),
        )
        .only(
            "id",
            "customer_id",
            "branch_id",
            "network",
            "status",
            "reference",
            "source",
            "last_updated",
            "customer__id",
            "customer__company_id",
            "customer__number",
            "branch__id",
            "branch__company_id",
            "branch__branch_id",
        )
        .order_by()
        .first()
    )


def _apply_norway_event(event: AgreementEvent) -> InboundOutcome:
    target = NORWAY_TARGETS[event.type]
    with transaction.atomic():
        agreement = _lock_live_agreement(event)
        if agreement is not None:
            # The usual case: one query found and locked everything the event changes.
            return _transition_for_event(
                event,
                agreement,
                target=target,
                holds_possible=agreement.holds_possible,  # type: ignore[attr-defined]  # annotated
                listening=agreement.listening,  # type: ignore[attr-defined]  # by the lock query
            )
        locked, branch = _lock_norwegian_customer(event)
        if target in (AgreementStatus.DELETED, AgreementStatus.REJECTED):
            agreement = (
                ConsumerAgreement.objects.select_for_update()
                .filter(
                    customer=locked,
                    branch=branch,
                    network=AgreementNetwork.NO_EFAKTURA,
                    status__in=LIVE_STATUSES,
                )
                .first()
            )
            if agreement is None:
                _already_seen(event.event_id)
                return InboundOutcome("ignored", None, "")
        else:
            source = (
                AgreementSource.AGREEMENT_CAPTURE
                if event.source == AgreementSource.AGREEMENT_CAPTURE
                else AgreementSource.ONLINE_BANK
            )
            agreement, _created = _live_or_new(
                customer=locked,
                branch=branch,
                network=AgreementNetwork.NO_EFAKTURA,
                source=source,
                reference=locked.number,
                actor=None,
            )
        agreement.customer = locked  # already loaded and locked
        return _transition_for_event(
            event,
            agreement,
            target=target,
            holds_possible=locked.holds_possible,  # type: ignore[attr-defined]  # lock query
        )


def _transition_for_event(
    event: AgreementEvent,
    agreement: ConsumerAgreement,
    *,
    target: str,
    holds_possible: bool,
    listening: bool | None = None,
) -> InboundOutcome:
    """Move the locked agreement as a Norwegian event says and record the event."""
    if (
        target not in (AgreementStatus.DELETED, AgreementStatus.REJECTED)
        and event.source == AgreementSource.AGREEMENT_CAPTURE
    ):
        agreement.source = AgreementSource.AGREEMENT_CAPTURE
    event_source = event.source or EventSource.ONLINE_BANK
    if event_source not in EventSource.values:
        event_source = EventSource.NETWORK
    written = _transition(
        agreement,
        to_status=target,
        source=event_source,
        external_event_id=event.event_id,
        detail={"type": event.type},
        strict=False,
        listening=listening,
    )
    result = "ignored" if "ignored" in written.detail else "applied"
    return InboundOutcome(
        result,
        agreement.pk,
        agreement.status,
        customer_id=agreement.customer_id,
        company_id=agreement.customer.company_id,
        holds_possible=holds_possible,
    )


def _apply_sweden_event(event: AgreementEvent) -> InboundOutcome:
    try:
        parsed = parse_fmi(event.fmi)
    except ValidationError as exc:
        raise AgreementError(
            _("Malformed FMI: %(reason)s") % {"reason": " ".join(exc.messages)}, code="malformed"
        ) from exc
    fmi, ssn = str(parsed), parsed.ssn
    activation = (
        # A blank FUI names no issuer: it must not match a branch whose service has no FUI yet.
        SwedenB2CActivation.objects.filter(fui=event.issuer_fui)
        .exclude(fui="")
        .select_related("branch__company")
        .first()
    )
    if activation is None:
        raise AgreementError(
            _("Unknown issuer FUI %(fui)s.") % {"fui": event.issuer_fui}, code="unknown_issuer"
        )
    branch = activation.branch
    target = SWEDEN_TARGETS[event.type]
    with transaction.atomic():
        locked = _lock_for_event(branch.company, event, national_id=ssn, sole_trader_orgnr=ssn[2:])
        agreement = (
            ConsumerAgreement.objects.select_for_update()
            .filter(
                customer=locked,
                branch=branch,
                network=AgreementNetwork.SE_BANK,
                status__in=LIVE_STATUSES,
            )
            .first()
        )
        if target == AgreementStatus.DELETED and (agreement is None or agreement.reference != fmi):
            # Cancelling an FMI we do not hold (or an older one) changes nothing here.
            return InboundOutcome("ignored", agreement.pk if agreement else None, "")
        if agreement is None:
            agreement, _created = _live_or_new(
                customer=locked,
                branch=branch,
                network=AgreementNetwork.SE_BANK,
                source=AgreementSource.FMI_ONBOARDING,
                reference=fmi,
                actor=None,
            )
        elif target == AgreementStatus.ACTIVE and agreement.reference != fmi:
            # The consumer moved banks: the new FMI replaces the old one.
            agreement.reference = fmi
            agreement.save(update_fields=["reference", "last_updated"])
        _transition(
            agreement,
            to_status=target,
            source=EventSource.FMI_ONBOARDING,
            external_event_id=event.event_id,
            detail={
                "type": event.type,
                "fmi": fmi,
                "matched_on": [
                    "national_id" if locked.national_id == ssn else "organisation_number"
                ],
            },
            strict=False,
        )
        return InboundOutcome(
            "applied",
            agreement.pk,
            agreement.status,
            customer_id=locked.pk,
            company_id=locked.company_id,
            holds_possible=False,  # holds are a Norwegian eFaktura rule
        )
