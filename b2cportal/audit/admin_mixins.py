"""Django admin saves and deletes recorded in the audit trail, for any ModelAdmin."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditAction, Source
from .services import Change, Target, record

# Values of fields named like this are never copied into the trail; that they changed is.
SECRET_WORDS = ("password", "secret", "credential", "token", "hashed", "key")
HIDDEN = "***"


def _stored(name: str, value: Any) -> Any:
    if any(word in name for word in SECRET_WORDS):
        return HIDDEN if value not in (None, "") else value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet | list | tuple | set):
        return [item.pk if isinstance(item, models.Model) else item for item in value]
    return value


class AuditedAdminMixin:
    """Record what an admin form changed (field: old -> new) and every admin delete.

    Set `audited_by_service = True` on an admin whose save calls a service that records the
    change itself, so one save is not recorded twice.
    """

    audited_by_service = False

    def _audit_target(self, obj: models.Model) -> Target:
        company_id_of = getattr(self, "company_id_of", None)
        company_id = company_id_of(obj) if company_id_of else getattr(obj, "company_id", None)
        return Target(obj, company_id=company_id)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if self.audited_by_service:
            return
        changes = [
            Change(
                name,
                _stored(name, form.initial.get(name)) if change else None,
                _stored(name, form.cleaned_data.get(name)),
            )
            for name in form.changed_data
        ]
        if change and not changes:
            return
        record(
            actor=request.user,
            obj=self._audit_target(obj),
            action=AuditAction.ADMIN_CHANGED if change else AuditAction.ADMIN_ADDED,
            changes=changes,
            source=Source.ADMIN,
        )

    def delete_model(self, request, obj):
        self._record_delete(request, obj)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._record_delete(request, obj)
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    def _record_delete(self, request, obj: models.Model) -> None:
        record(
            actor=request.user,
            obj=self._audit_target(obj),
            action=AuditAction.ADMIN_DELETED,
            source=Source.ADMIN,
        )
