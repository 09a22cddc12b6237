"""Reading the audit trail for the history screens: rows ready to show, in the reader's language.

Every read is scoped by company: a row is only ever shown inside its tenant.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from b2cportal.identifiers import mask_national_id

from .models import AuditAction, AuditEntry, Source
from .services import Change

# Fields whose values are personal identity numbers: shown masked in every history.
MASKED_FIELDS = frozenset({"national_id", "ssn"})

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class HistoryChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryRow:
    when: datetime.datetime
    who: str
    action: str
    source: str
    branch: str
    changes: list[HistoryChange]
    code: str


def entries_of(*, company_id: int, obj: models.Model, with_children: bool = False) -> QuerySet:
    """The company's audit rows about `obj` (and, with children, rows naming it as parent)."""
    content_type = ContentType.objects.get_for_model(type(obj))
    condition = Q(content_type=content_type, object_id=obj.pk)
    if with_children:
        condition |= Q(parent_type=content_type, parent_id=obj.pk)
    return (
        AuditEntry.objects.filter(condition, company_id=company_id)
        .select_related("actor_user", "content_type", "branch")
        .order_by("-created_at", "-id")
    )


def display_value(model: type[models.Model] | None, name: str, value: Any) -> str:
    if value in (None, ""):
        return "-"
    if name in MASKED_FIELDS and isinstance(value, str):
        return mask_national_id(value)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if model is None:
        return str(value)
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if not isinstance(field, models.Field):
        return str(value)  # a reverse relation: no choices to name
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def field_label(model: type[models.Model] | None, name: str) -> str:
    if model is None:
        return name
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    if not isinstance(field, models.Field):
        return name
    label = str(field.verbose_name)
    return label[:1].upper() + label[1:]


def who(entry: AuditEntry) -> str:
    """The user (with the API key they acted through), else the named party, else the system."""
    if entry.actor_user is not None:
        name = entry.actor_user.get_username()
        if entry.actor_api_key_id is not None:
            return _("%(user)s (API key %(key)s)") % {"user": name, "key": entry.actor_label}
        return name
    if entry.actor_label:
        return entry.actor_label
    if entry.source == Source.NETWORK:
        return str(_("the network"))
    return str(_("system"))


def action_label(code: str) -> str:
    return str(dict(AuditAction.choices).get(code, code))


def rows_of(entries: QuerySet | list[AuditEntry]) -> list[HistoryRow]:
    sources = dict(Source.choices)
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        rows.append(
            HistoryRow(
                when=entry.created_at,
                who=who(entry),
                action=action_label(entry.action),
                source=str(sources.get(entry.source, entry.source)),
                branch=str(entry.branch) if entry.branch_id else "",
                changes=[
                    HistoryChange(
                        label=field_label(model, change.field),
                        old=display_value(model, change.field, change.old),
                        new=display_value(model, change.field, change.new),
                    )
                    for change in map(Change.from_json, entry.changes)
                ],
                code=entry.action,
            )
        )
    return rows


def history_of(
    *, company_id: int, obj: models.Model, with_children: bool = False, limit: int = HISTORY_LIMIT
) -> list[HistoryRow]:
    """Newest first: what happened to `obj` within the company, ready for a history table."""
    return rows_of(entries_of(company_id=company_id, obj=obj, with_children=with_children)[:limit])
