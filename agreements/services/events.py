"""Inbound agreement events from the network (Norway eFaktura, Sweden FMI); one event id is
applied once only."""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
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
from b2cportal.db import prepared_statements
from b2cportal.identifiers import parse_fmi
from b2cportal.network.adapter import AgreementEvent

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
        # Every statement of an event looks up or writes rows by key: prepared, PostgreSQL
        # plans each once per connection instead of once per event.
        with prepared_statements():
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


# The statement behind every Norwegian event for an agreement we already hold (the usual case).
# It is SQL, not a queryset, because Django compiling and loading the equivalent queryset (four
# joins, two annotations, select_related) was most of the 4.1-4.5 ms of Python an event cost,
# while PostgreSQL runs it in 0.2 ms (bench/agreements.py; README, "Inbound agreement events").
# It is plain SQL for both databases: only the row lock is left out on SQLite, which has none
# (one writer at a time); tests/agreements/test_inbound_sqlite.py runs it there.
_LIVE_AGREEMENT_SQL = """
SELECT agreement.id, agreement.customer_id, agreement.branch_id, agreement.network,
       agreement.status, agreement.reference, agreement.source, agreement.last_updated,
       customer.number AS customer_number,
       branch.company_id AS company_id,
       branch.branch_id AS branch_code,
       COALESCE(preferences.consumer_route_anyway, FALSE) AS holds_possible,
       EXISTS (SELECT 1 FROM webhooks_webhookendpoint endpoint
                WHERE endpoint.company_id = branch.company_id AND endpoint.is_active) AS listening
  FROM agreements_consumeragreement agreement
  JOIN companies_branch branch ON branch.id = agreement.branch_id
  JOIN companies_company company ON company.id = branch.company_id
  JOIN customers_customer customer
    ON customer.id = agreement.customer_id AND customer.company_id = company.id
  LEFT JOIN companies_customerledgerpreferences preferences
    ON preferences.company_id = company.id
 WHERE company.country = %s AND company.organisation_number = %s AND branch.branch_id = %s
   AND customer.number = %s AND agreement.network = %s AND agreement.status IN ({live})
 {lock}"""


@dataclass(frozen=True)
class _LockedAgreement:
    agreement: ConsumerAgreement  # with its customer and branch (id, company, number/code)
    holds_possible: bool  # the company may hold invoices (consumer route anyway)
    listening: bool  # the company has an active webhook endpoint


def _lock_live_agreement(event: AgreementEvent) -> _LockedAgreement | None:
    """The live eFaktura agreement an event names, locked, in one statement with what applying
    the event needs. None when the customer has no live agreement (or the issuer, branch or
    customer is unknown): the caller then takes the path that may create one, under the
    customer's lock.

    Locking the agreement row alone is enough to change it: every other writer locks it too
    before changing it, and a concurrent change re-checks the statement's conditions on the new
    row version (an agreement that stopped being live is not returned).
    """
    reference = event.customer_reference
    if not reference:
        return None
    lock = (
        connection.ops.for_update_sql(of=("agreement",))
        if connection.features.has_select_for_update
        else ""
    )
    sql = _LIVE_AGREEMENT_SQL.format(live=", ".join(["%s"] * len(LIVE_STATUSES)), lock=lock)
    params = [
        Country.NORWAY.value,
        event.issuer,
        event.branch,
        reference,
        AgreementNetwork.NO_EFAKTURA.value,
        *LIVE_STATUSES,
    ]
    agreement = next(iter(ConsumerAgreement.objects.raw(sql, params)), None)
    if agreement is None:
        return None
    extra = vars(agreement)  # the statement's columns beyond the agreement's own fields
    using, company_id = agreement._state.db, extra["company_id"]
    # What select_related with only() would load: the rest of each row loads if ever read.
    agreement.customer = Customer.from_db(
        using,
        ["id", "company_id", "number"],
        [agreement.customer_id, company_id, extra["customer_number"]],
    )
    agreement.branch = Branch.from_db(
        using,
        ["id", "company_id", "branch_id"],
        [agreement.branch_id, company_id, extra["branch_code"]],
    )
    # bool(): SQLite answers 0/1.
    return _LockedAgreement(agreement, bool(extra["holds_possible"]), bool(extra["listening"]))


def _apply_norway_event(event: AgreementEvent) -> InboundOutcome:
    target = NORWAY_TARGETS[event.type]
    with transaction.atomic():
        live = _lock_live_agreement(event)
        if live is not None:
            # The usual case: one statement found and locked everything the event changes.
            return _transition_for_event(
                event,
                live.agreement,
                target=target,
                holds_possible=live.holds_possible,
                listening=live.listening,
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
