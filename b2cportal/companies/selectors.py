"""Reads about companies and who may see them. Every tenant-scoped query starts here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.db.models import Q, QuerySet

from b2cportal.audit.models import AuditAction, AuditEntry, Source
from b2cportal.audit.selectors import (
    HistoryChange,
    HistoryRow,
    action_label,
    display_value,
    field_label,
    who,
)

from .models import (
    AutoInvoiceSettings,
    Branch,
    Company,
    CustomerLedgerPreferences,
    GiroType,
    Membership,
    NorwayActivationStatus,
    NorwayB2CActivation,
    OperatorConnection,
    SwedenActivationStatus,
    SwedenB2CActivation,
    format_giro_account,
)


def memberships_of(*, user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user).select_related("company").order_by("company__name")
    )


def branches_of(*, company: Company) -> QuerySet[Branch]:
    return Branch.objects.filter(company=company).order_by("-is_main_office", "branch_id")


# --- AutoInvoice settings, activations, ledger preferences (read-only; never create rows) -------


def autoinvoice_settings_of(*, branch: Branch) -> AutoInvoiceSettings:
    """The branch's AutoInvoice settings, or an unsaved row with the defaults."""
    found = AutoInvoiceSettings.objects.filter(branch=branch).first()
    return found or AutoInvoiceSettings(branch=branch)


def ledger_preferences_of(*, company: Company) -> CustomerLedgerPreferences:
    """The company's Customer ledger preferences, or an unsaved row with the defaults."""
    found = CustomerLedgerPreferences.objects.filter(company=company).first()
    return found or CustomerLedgerPreferences(company=company)


def norway_activation_of(*, branch: Branch) -> NorwayB2CActivation:
    """The branch's AutoInvoice B2C activation, or an unsaved *not activated* one."""
    found = NorwayB2CActivation.objects.filter(branch=branch).first()
    return found or NorwayB2CActivation(branch=branch)


def sweden_activation_of(*, branch: Branch) -> SwedenB2CActivation:
    """The branch's B2CSE activation, or an unsaved *not activated* one."""
    found = SwedenB2CActivation.objects.filter(branch=branch).first()
    return found or SwedenB2CActivation(branch=branch)


def unknown_network_status(*, branch: Branch) -> str:
    """The status word the network last sent for the branch's activation that we could not
    read (B2CSE statuses are not public), or "" once it sent one we know."""
    last = (
        AuditEntry.objects.filter(
            branch=branch,
            action__in=(AuditAction.NETWORK_STATUS_UNKNOWN, AuditAction.NETWORK_STATUS_REPORTED),
        )
        .order_by("-created_at", "-id")
        .only("action", "changes")
        .first()
    )
    if last is None or last.action != AuditAction.NETWORK_STATUS_UNKNOWN or not last.changes:
        return ""
    return str(last.changes[0].get("new") or "")


def operator_connection_of(*, company: Company) -> OperatorConnection | None:
    return OperatorConnection.objects.filter(company=company).first()


def is_b2c_active(*, branch: Branch) -> bool:
    """Whether the branch can send consumer e-invoices to banks now (its country's service)."""
    if branch.company.is_norwegian:
        return NorwayB2CActivation.objects.filter(
            branch=branch, status=NorwayActivationStatus.ACTIVE
        ).exists()
    return SwedenB2CActivation.objects.filter(
        branch=branch, status=SwedenActivationStatus.ACTIVE
    ).exists()


def active_b2c_branches(*, company: Company) -> QuerySet[Branch]:
    """The company's branches whose B2C service (Norway or Sweden) is active."""
    if company.is_norwegian:
        condition = Q(b2cno__status=NorwayActivationStatus.ACTIVE)
    else:
        condition = Q(b2cse__status=SwedenActivationStatus.ACTIVE)
    return branches_of(company=company).filter(condition)


def b2cse_fui(*, branch: Branch) -> str | None:
    """The FUI under which the branch sends Swedish consumer e-invoices, when B2CSE is active."""
    return (
        SwedenB2CActivation.objects.filter(branch=branch, status=SwedenActivationStatus.ACTIVE)
        .values_list("fui", flat=True)
        .first()
    )


_HISTORY_MODELS = {
    "autoinvoice": AutoInvoiceSettings,
    "ledger": CustomerLedgerPreferences,
    "altinn": Branch,
    "company": Company,
    "b2cno": NorwayB2CActivation,
    "b2cse": SwedenB2CActivation,
    "operator": OperatorConnection,
}


def _display_change(
    model: type[models.Model], change: dict[str, Any], changes: list[dict[str, Any]], side: str
) -> str:
    """One side of a recorded change; Bankgiro/PlusGiro numbers in their display form."""
    value = change.get(side)
    if change.get("field") != "account_number" or not isinstance(value, str) or not value:
        return display_value(model, change.get("field", ""), value)
    # An added receiving account is recorded as "<type> <number>"; an activation's account
    # number next to the account type change in the same row (else the number is shown as is).
    account_type, _sep, number = value.partition(" ")
    if not number:
        number = value
        account_type = next(
            (c.get(side) or "" for c in changes if c.get("field") == "account_type"), ""
        )
    formatted = format_giro_account(account_type, number)
    type_label = dict(GiroType.choices).get(account_type)
    if type_label and " " in value:
        return f"{type_label} {formatted}"
    return formatted


def settings_history(
    *,
    company: Company,
    branch: Branch | None = None,
    prefixes: tuple[str, ...] = (),
    limit: int = 50,
) -> list[HistoryRow]:
    """Recorded settings changes and activation steps, newest first, ready to show."""
    rows = AuditEntry.objects.filter(company=company).select_related("actor_user", "branch")
    if branch is not None:
        rows = rows.filter(branch=branch)
    if prefixes:
        condition = Q()
        for prefix in prefixes:
            condition |= Q(action__startswith=f"{prefix}.")
        rows = rows.filter(condition)
    sources = dict(Source.choices)
    result = []
    for row in rows.order_by("-created_at", "-id")[:limit]:
        model = _HISTORY_MODELS.get(row.action.split(".")[0], AutoInvoiceSettings)
        raw_changes = row.changes
        changes = [
            HistoryChange(
                label=field_label(model, change.get("field", "")),
                old=_display_change(model, change, raw_changes, "old"),
                new=_display_change(model, change, raw_changes, "new"),
            )
            for change in raw_changes
        ]
        result.append(
            HistoryRow(
                when=row.created_at,
                who=who(row),
                action=action_label(row.action),
                source=str(sources.get(row.source, row.source)),
                branch=str(row.branch) if row.branch else "",
                changes=changes,
                code=row.action,
            )
        )
    return result
