"""Every write of the api app: API keys and idempotency records. Services own their transaction."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_api_key.crypto import KeyGenerator

from b2cportal.audit import services as audit
from b2cportal.audit.models import AuditAction
from b2cportal.companies.models import Company, Membership, Role
from b2cportal.validators import first_xml_illegal

from .models import ApiKey, IdempotencyRecord, Scope

# djangorestframework-api-key's generator: a random 8-character prefix (looked up, unique) and a
# 32-character secret; the stored hash is SHA-512 of the whole key (high entropy: no salt or
# slow hash needed). The full key is returned once and never stored.
KEY_GENERATOR = KeyGenerator()
# Don't write `last_used_at` on every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class ApiKeyError(Exception):
    """An API-key operation was refused; `field` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _require_administrator(*, company: Company, user: User) -> None:
    if not Membership.objects.filter(
        company=company, user_id=user.pk, role=Role.ADMINISTRATOR
    ).exists():
        raise ApiKeyError(_("Only administrators of the company manage its API keys."))


@transaction.atomic
def create_api_key(
    *, company: Company, acting_user: User, name: str, scopes: list[str]
) -> tuple[ApiKey, str]:
    """Create a key for the company; returns the row and the full key, shown only this once."""
    _require_administrator(company=company, user=acting_user)
    name = (name or "").strip()
    if not name:
        raise ApiKeyError(_("Enter a name for the key."), field="name")
    if first_xml_illegal(name):
        raise ApiKeyError(_("The name contains a character that is not allowed."), field="name")
    chosen = [s for s in Scope.values if s in set(scopes or [])]
    if not chosen or len(chosen) != len(set(scopes)):
        raise ApiKeyError(_("Choose at least one of read, write and send."), field="scopes")
    key, prefix, hashed = KEY_GENERATOR.generate()
    api_key = ApiKey.objects.create(
        company=company,
        name=name,
        prefix=prefix,
        hashed_key=hashed,
        scopes=chosen,
        created_by=acting_user,
    )
    audit.record(
        actor=acting_user,
        obj=api_key,
        action=AuditAction.API_KEY_CREATED,
        changes=[audit.Change("name", None, name), audit.Change("scopes", None, chosen)],
    )
    return api_key, key


@transaction.atomic
def revoke_api_key(*, api_key: ApiKey, acting_user: User) -> ApiKey:
    """Revoke a key for good: every later request with it is refused."""
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    _require_administrator(company=locked.company, user=acting_user)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = acting_user
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(actor=acting_user, obj=locked, action=AuditAction.API_KEY_REVOKED)
    return locked


def key_for(raw_key: str) -> ApiKey | None:
    """The active key whose secret is `raw_key`, or None (unknown, wrong secret or revoked)."""
    prefix, dot, _secret = (raw_key or "").partition(".")
    if not dot or not prefix:
        return None
    api_key = (
        ApiKey.objects.select_related("company", "created_by")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not KEY_GENERATOR.verify(raw_key, api_key.hashed_key):
        return None
    return api_key


def touch_api_key(*, api_key: ApiKey) -> None:
    """Record that the key was used (at most once a minute)."""
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now


# --- Idempotency ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reservation:
    """What `reserve_idempotency_key` found: a new record to fill, or a finished one to replay."""

    record: IdempotencyRecord
    created: bool


class IdempotencyConflict(Exception):
    """The key was used with another request (`reason="mismatch"`) or is still running."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def reserve_idempotency_key(
    *, company: Company, api_key: ApiKey, key: str, fingerprint: str
) -> Reservation:
    """Claim `key` for this request, or return the finished record of the first one.

    The unique constraint on (company, key) decides between concurrent requests: one inserts,
    the others find its row and wait (up to API_IDEMPOTENCY_WAIT_SECONDS) for its answer.
    """
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                company=company, key=key, fingerprint=fingerprint, api_key=api_key
            )
        return Reservation(record=record, created=True)
    except IntegrityError:
        pass
    deadline = timezone.now() + datetime.timedelta(seconds=settings.API_IDEMPOTENCY_WAIT_SECONDS)
    delay = 0.02
    while True:
        existing = IdempotencyRecord.objects.filter(company=company, key=key).first()
        if existing is None:
            # The first request failed and gave the key back: this one may take it.
            return reserve_idempotency_key(
                company=company, api_key=api_key, key=key, fingerprint=fingerprint
            )
        if existing.fingerprint != fingerprint:
            raise IdempotencyConflict("mismatch")
        if existing.completed_at is not None:
            return Reservation(record=existing, created=False)
        if timezone.now() >= deadline:
            raise IdempotencyConflict("in_progress")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def complete_idempotency_key(
    *, record: IdempotencyRecord, status_code: int, body: Any, headers: dict[str, str]
) -> None:
    """Store the first answer so later requests with the same key and body get it again."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=status_code,
        response_body=body,
        response_headers=headers,
        completed_at=timezone.now(),
    )


def release_idempotency_key(*, record: IdempotencyRecord) -> None:
    """Give the key back after a request that failed unexpectedly, so a retry can run."""
    IdempotencyRecord.objects.filter(pk=record.pk, completed_at__isnull=True).delete()


def purge_idempotency_records(*, now: datetime.datetime | None = None) -> int:
    """Delete stored answers older than API_IDEMPOTENCY_TTL_HOURS; returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
