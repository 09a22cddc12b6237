"""The shared building blocks of the settings services: the domain error, history and locking."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

from django.contrib.auth.models import User
from django.db import models, transaction

from b2cportal.audit import services as audit
from b2cportal.audit.models import AuditEntry, Source
from b2cportal.audit.services import Change

from ..models import Branch, Company

M = TypeVar("M", bound=models.Model)

# The new values a settings form asks for, by model field name (what `apply_changes` sets).
FieldValues: TypeAlias = dict[str, Any]


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


def record(
    *,
    company: Company,
    branch: Branch | None,
    actor: User | None,
    action: str,
    changes: Sequence[Change],
    by: str = "",
    obj: models.Model | None = None,
) -> AuditEntry:
    """One audit row about `obj` (else the branch, else the company); `by` names who acted when
    it was not a logged-in user (the signer). No user and no name: the network reported it."""
    return audit.record(
        actor=audit.Actor(user=actor, label=by),
        obj=audit.Target(
            obj if obj is not None else (branch or company),
            company_id=company.pk,
            branch_id=branch.pk if branch is not None else None,
        ),
        action=action,
        changes=changes,
        source=Source.NETWORK if actor is None and not by else None,
    )


def apply_changes(instance: models.Model, values: Mapping[str, Any]) -> list[Change]:
    """Set the fields and return the differences (old -> new)."""
    diff = audit.diff(instance, values)
    for change in diff:
        setattr(instance, change.field, change.new)
    return diff


def status_change(old: str, new: str) -> Change:
    return Change("status", old, new)


def locked_activation(model: type[M], branch: Branch) -> M:
    """The branch's activation row, created if missing, then locked for this transaction.

    Creating first (outside the lock) means two simultaneous first submits both find one row
    and serialise on its lock instead of one of them failing on the unique constraint.
    """
    model._default_manager.get_or_create(branch=branch)
    return (
        model._default_manager.select_for_update()
        .select_related("branch__company")
        .get(branch=branch)
    )


def update_recorded(
    *,
    locked: Callable[[], M],
    changes: FieldValues,
    acting_user: User | None,
    action: str,
    company: Company,
    branch: Branch | None,
    check: Callable[[M, FieldValues], FieldValues] | None = None,
) -> M:
    """The one pattern of every settings save: lock the row, check, apply, save, record the diff.

    `check` may refuse (raise CompanyError) or return the changes it accepts.
    """
    with transaction.atomic():
        obj = locked()
        if check is not None:
            changes = check(obj, changes)
        diff = apply_changes(obj, changes)
        if diff:
            obj.save()
            record(
                company=company,
                branch=branch,
                actor=acting_user,
                action=action,
                changes=diff,
                obj=obj,
            )
        return obj
