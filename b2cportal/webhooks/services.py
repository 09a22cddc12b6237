"""Every write of webhooks: endpoints, emitting events, delivering them, resending.

`emit(company=, event_type=, data=)` is what other apps call (routing, agreements): it writes one
message per active endpoint in the caller's transaction and dispatches on commit, so an event
is sent only when what it reports was committed, and never from inside a transaction.
`deliver_message` claims a due message with a conditional UPDATE (a lease, so two workers never
send it at once), POSTs it signed per Standard Webhooks with no transaction open, then records
the attempt and schedules the next one with backoff for about a day.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from b2cportal.audit import services as audit
from b2cportal.audit.models import AuditAction
from b2cportal.companies.models import Company

from . import signing
from .models import EventType, MessageStatus, WebhookAttempt, WebhookEndpoint, WebhookMessage

if TYPE_CHECKING:
    from django.contrib.auth.models import User


logger = logging.getLogger("b2cportal.webhooks")

# Delays after attempt 1, 2, …: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 6.5 h — about 24 h in all,
# then the message is failed (a *Resend* on the screen tries once more).
RETRY_DELAYS = [
    datetime.timedelta(seconds=5),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=5),
    datetime.timedelta(hours=10),
    datetime.timedelta(hours=6, minutes=30),
]
# While one worker sends, the message is not due for others.
LEASE = datetime.timedelta(seconds=60)
TIMEOUT_SECONDS = 10


class WebhookError(Exception):
    """A webhook change was refused; the message is for the user."""


# --- Endpoints --------------------------------------------------------------------------------


@transaction.atomic
def create_endpoint(
    *, company: Company, url: str, description: str = "", acting_user: User | None
) -> WebhookEndpoint:
    """Register a URL that receives the company's events, with a new signing secret."""
    endpoint = WebhookEndpoint.objects.create(
        company=company,
        url=url,
        description=description,
        secret=signing.new_secret(),
        created_by=acting_user,
    )
    audit.record(
        actor=acting_user,
        obj=endpoint,
        action=AuditAction.WEBHOOK_CREATED,
        changes=[audit.Change("url", None, url)],
    )
    return endpoint


@transaction.atomic
def set_endpoint_active(
    *, endpoint: WebhookEndpoint, active: bool, acting_user: User | None
) -> WebhookEndpoint:
    """Pause or resume an endpoint; a paused endpoint gets no new messages."""
    changes = audit.diff(endpoint, {"is_active": active})
    endpoint.is_active = active
    endpoint.save(update_fields=["is_active"])
    if changes:
        audit.record(
            actor=acting_user,
            obj=endpoint,
            action=AuditAction.WEBHOOK_RESUMED if active else AuditAction.WEBHOOK_PAUSED,
            changes=changes,
        )
    return endpoint


@transaction.atomic
def rotate_secret(*, endpoint: WebhookEndpoint, acting_user: User | None) -> WebhookEndpoint:
    """Give the endpoint a new signing secret (the old one stops verifying)."""
    endpoint.secret = signing.new_secret()
    endpoint.save(update_fields=["secret"])
    # That it changed, never the secret itself.
    audit.record(actor=acting_user, obj=endpoint, action=AuditAction.WEBHOOK_SECRET_ROTATED)
    return endpoint


# --- Emitting ---------------------------------------------------------------------------------


def emit(*, company: Company | int, event_type: str, data: dict[str, Any]) -> int:
    """Record one event for every active endpoint of the company; sent after commit."""
    return emit_many(company=company, events=[(event_type, data)])


def emit_many(*, company: Company | int, events: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """Record several events of one company (a chunk of deliveries) with one query to find
    the endpoints; returns how many messages were written."""
    events = list(events)
    if not events:
        return 0
    company_id = company if isinstance(company, int) else company.pk
    endpoints = list(
        WebhookEndpoint.objects.filter(company_id=company_id, is_active=True).values_list(
            "pk", flat=True
        )
    )
    if not endpoints:
        return 0
    now = timezone.now()
    stamp = now.isoformat().replace("+00:00", "Z")
    rows = [
        WebhookMessage(
            company_id=company_id,
            endpoint_id=endpoint_id,
            msg_id=f"msg_{uuid.uuid4().hex}",
            event_type=EventType(event_type),
            payload={"type": event_type, "timestamp": stamp, "data": data},
            next_attempt_at=now,
        )
        for event_type, data in events
        for endpoint_id in endpoints
    ]
    WebhookMessage.objects.bulk_create(rows)
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: _dispatch(ids))
    return len(rows)


def _dispatch(ids: list[int]) -> None:
    from .tasks import deliver_webhook_task

    for pk in ids:
        try:
            deliver_webhook_task.apply_async((pk,), retry=False)
        except (OSError, KombuOperationalError):  # broker down: the dispatcher sends it later
            logger.warning("Broker unavailable; webhook message %s waits for the dispatcher", pk)


# --- Delivering ---------------------------------------------------------------------------------


def body_of(message: WebhookMessage) -> str:
    """The exact request body (compact JSON), the same on every attempt."""
    return json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _claim(message_id: int, now: datetime.datetime) -> bool:
    return bool(
        WebhookMessage.objects.filter(
            pk=message_id, status=MessageStatus.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + LEASE)
    )


def _post(endpoint: WebhookEndpoint, message: WebhookMessage) -> dict[str, Any]:
    body = body_of(message)
    headers = signing.headers(
        secret=endpoint.secret, msg_id=message.msg_id, timestamp=int(time.time()), body=body
    )
    headers["user-agent"] = "b2cportal-webhooks/1"
    started = time.monotonic()
    outcome: dict[str, Any] = {
        "succeeded": False,
        "response_status": None,
        "response_body": "",
        "error": "",
    }
    try:
        response = httpx.post(
            endpoint.url,
            content=body.encode("utf-8"),
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        outcome["error"] = f"{type(exc).__name__}: {exc}"[:500]
    else:
        outcome["response_status"] = response.status_code
        outcome["response_body"] = response.text[:500]
        outcome["succeeded"] = 200 <= response.status_code < 300
        if not outcome["succeeded"]:
            outcome["error"] = f"HTTP {response.status_code}"
    outcome["duration_ms"] = int((time.monotonic() - started) * 1000)
    return outcome


def deliver_message(*, message_id: int) -> WebhookAttempt | None:
    """Send one due message now (outside any transaction) and record the attempt.

    Returns the attempt, or None when the message is not due or another worker has it.
    """
    if connection.in_atomic_block:
        raise RuntimeError("webhooks are never sent inside a database transaction")
    now = timezone.now()
    if not _claim(message_id, now):
        return None
    message = WebhookMessage.objects.select_related("endpoint").get(pk=message_id)
    endpoint = message.endpoint
    if not endpoint.is_active:
        outcome = {
            "succeeded": False,
            "response_status": None,
            "response_body": "",
            "error": "endpoint paused",
            "duration_ms": 0,
        }
    else:
        outcome = _post(endpoint, message)
    with transaction.atomic():
        message = WebhookMessage.objects.select_for_update().get(pk=message_id)
        message.attempts += 1
        attempt = WebhookAttempt.objects.create(
            message=message, number=message.attempts, resent_by=message.resend_by, **outcome
        )
        message.resend_by = None
        finished = timezone.now()
        if outcome["succeeded"]:
            message.status = MessageStatus.DELIVERED
            message.delivered_at = finished
            message.next_attempt_at = None
        elif message.attempts <= len(RETRY_DELAYS) and endpoint.is_active:
            message.next_attempt_at = finished + RETRY_DELAYS[message.attempts - 1]
        else:
            message.status = MessageStatus.FAILED
            message.next_attempt_at = None
        message.save(
            update_fields=["attempts", "status", "delivered_at", "next_attempt_at", "resend_by"]
        )
    return attempt


def dispatch_due(*, limit: int = 500) -> int:
    """Queue every message that is due (first attempts the broker lost, and retries)."""
    due = list(
        WebhookMessage.objects.filter(
            status=MessageStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    _dispatch(due)
    return len(due)


@transaction.atomic
def resend_message(*, message: WebhookMessage, acting_user: User | None) -> WebhookMessage:
    """*Resend*: send the message again now (same webhook-id), whatever its status."""
    locked = WebhookMessage.objects.select_for_update().get(pk=message.pk)
    if not locked.endpoint.is_active:
        raise WebhookError(_("The endpoint is paused; resume it first."))
    locked.status = MessageStatus.PENDING
    locked.next_attempt_at = timezone.now()
    locked.resend_by = acting_user
    locked.save(update_fields=["status", "next_attempt_at", "resend_by"])
    audit.record(
        actor=acting_user,
        obj=audit.Target(locked, company_id=locked.endpoint.company_id),
        action=AuditAction.WEBHOOK_RESENT,
    )
    transaction.on_commit(lambda: _dispatch([locked.pk]))
    return locked


def allow_plain_http() -> bool:
    return bool(settings.WEBHOOK_ALLOW_HTTP)


def companies_listening(company_ids: list[int]) -> set[int]:
    """Which of these companies have an active endpoint (one query; none → no work at all)."""
    if not company_ids:
        return set()
    return set(
        WebhookEndpoint.objects.filter(company_id__in=company_ids, is_active=True).values_list(
            "company_id", flat=True
        )
    )
