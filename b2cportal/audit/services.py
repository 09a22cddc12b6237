"""Writing the audit trail: `record` one mutation, or `record_many` of the same kind at once.

Call it inside the service's transaction, after the write it describes, so the row exists
exactly when the change does.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models

from . import context
from .models import AuditAction, AuditEntry, Source


@dataclass(frozen=True)
class Change:
    """One field's change: the stored values, shown (translated, masked) by the selectors."""

    field: str
    old: Any
    new: Any

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": jsonable(self.old), "new": jsonable(self.new)}

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> Change:
        """A change as `AuditEntry.changes` stores it (values as JSON keeps them)."""
        return cls(str(stored.get("field", "")), stored.get("old"), stored.get("new"))


@dataclass(frozen=True)
class Actor:
    """Who acted: a user, an API key (with the user it acts for), a task, or a named party
    without an account (the signer of the terms, the network)."""

    user: AbstractBaseUser | None = None
    api_key_id: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Target:
    """What was changed: the object, its tenant, and optionally the screen it also shows on."""

    obj: models.Model
    company_id: int | None = None
    branch_id: int | None = None
    parent: models.Model | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def diff(instance: models.Model, values: Mapping[str, Any]) -> list[Change]:
    """The changes setting `values` on `instance` would make (nothing is set)."""
    return [
        Change(name, getattr(instance, name), new)
        for name, new in values.items()
        if getattr(instance, name) != new
    ]


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields`, to `diff` against after a change."""
    return {name: getattr(instance, name) for name in fields}


def changes_since(before: Mapping[str, Any], instance: models.Model) -> list[Change]:
    """Field changes between a `snapshot` and the instance now."""
    return [
        Change(name, old, getattr(instance, name))
        for name, old in before.items()
        if getattr(instance, name) != old
    ]


def _company_id_of(obj: models.Model) -> int | None:
    if obj._meta.label == "companies.Company":
        return obj.pk
    return getattr(obj, "company_id", None)


def _resolve_actor(actor: Actor | AbstractBaseUser | None) -> tuple[Any, int | None, str, str]:
    """(user, api key id, label, source) from what the caller gave and the current context."""
    ctx = context.current()
    if isinstance(actor, Actor):
        user, key_id, label = actor.user, actor.api_key_id, actor.label
    else:
        user, key_id, label = actor, None, ""
    if isinstance(user, AnonymousUser) or (user is not None and not user.is_authenticated):
        user = None
    if key_id is None and ctx.api_key_id is not None:
        key_id = ctx.api_key_id
        label = label or ctx.label
    if user is None and not label:
        label = ctx.label
    return user, key_id, label, ctx.source


def _entry(
    target: Target,
    *,
    action: str,
    actor: Actor | AbstractBaseUser | None,
    changes: Sequence[Change],
    source: str | None,
    data: Mapping[str, Any] | None,
    content_types: dict[type, ContentType],
) -> AuditEntry:
    user, key_id, label, ctx_source = _resolve_actor(actor)

    def content_type(obj: models.Model) -> ContentType:
        model = type(obj)
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(model)
        return content_types[model]

    obj = target.obj
    parent = target.parent
    return AuditEntry(
        company_id=target.company_id if target.company_id is not None else _company_id_of(obj),
        branch_id=target.branch_id,
        content_type=content_type(obj),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        parent_type=content_type(parent) if parent is not None else None,
        parent_id=parent.pk if parent is not None else None,
        action=str(action),
        source=str(source or ctx_source),
        actor_user=user,
        actor_api_key_id=key_id,
        actor_label=label[:200],
        changes=[change.as_json() for change in changes],
        data={key: jsonable(value) for key, value in {**target.extra, **(data or {})}.items()},
    )


def record(
    *,
    actor: Actor | AbstractBaseUser | None,
    obj: models.Model | Target,
    action: AuditAction | str,
    changes: Sequence[Change] = (),
    source: Source | None = None,
    data: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Record one mutation of `obj`; `source` defaults to where the code runs (context)."""
    target = obj if isinstance(obj, Target) else Target(obj)
    entry = _entry(
        target,
        action=action,
        actor=actor,
        changes=changes,
        source=source,
        data=data,
        content_types={},
    )
    entry.save()
    return entry


def record_many(
    *,
    actor: Actor | AbstractBaseUser | None,
    objs: Iterable[models.Model | Target],
    action: AuditAction | str,
    source: Source | None = None,
) -> list[AuditEntry]:
    """The same action on many objects (a batch of drafts, a bulk release): one INSERT."""
    content_types: dict[type, ContentType] = {}
    entries = [
        _entry(
            obj if isinstance(obj, Target) else Target(obj),
            action=action,
            actor=actor,
            changes=(),
            source=source,
            data=None,
            content_types=content_types,
        )
        for obj in objs
    ]
    return AuditEntry.objects.bulk_create(entries)
