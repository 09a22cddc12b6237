"""Where the current code runs: a screen, the API, the admin, a Celery task, or none (system).

The middleware opens one context per request, the API's key authentication names the key, and
Celery's task signals open one per task; `services.record` reads it, so services need not pass
their caller's channel down every call.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from django.urls import reverse

from .models import Source


@dataclass
class AuditContext:
    source: str = Source.SYSTEM
    api_key_id: int | None = None
    label: str = ""


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "audit_context", default=None
)
_task_tokens: dict[str, contextvars.Token] = {}


def current() -> AuditContext:
    return _current.get() or AuditContext()


def use_api_key(*, api_key_id: int, name: str) -> None:
    """The request authenticated with this API key: its changes come from the API."""
    _current.set(AuditContext(source=Source.API, api_key_id=api_key_id, label=name))


class AuditContextMiddleware:
    """Every request starts as a screen request (or an admin one), and ends without a context."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = reverse("admin:index")

    def __call__(self, request):
        admin = request.path.startswith(self.admin_prefix)
        token = _current.set(AuditContext(source=Source.ADMIN if admin else Source.SCREEN))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def task_started(task_id=None, task=None, **_kwargs) -> None:
    name = getattr(task, "name", "") or ""
    _task_tokens[task_id or ""] = _current.set(
        AuditContext(source=Source.TASK, label=name.rsplit(".", 1)[-1])
    )


def task_finished(task_id=None, **_kwargs) -> None:
    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        try:
            _current.reset(token)
        except ValueError:  # set in another context (eager tasks across threads)
            _current.set(None)
