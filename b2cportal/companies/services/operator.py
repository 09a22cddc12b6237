"""The company's connection to the operator (AutoInvoice / Maventa AutoXChange REST API).

Saving stores the user API key encrypted and never returns it; a blank key on a later save
keeps the stored one. *Test connection* fetches a token and reads `GET /oauth2/current` — outside
any database transaction — and records the outcome, with the operator's error in words. The
first successful test also subscribes the company's unguessable notification URL at the
operator (a webhook is only ever a hint to poll).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from b2cportal.audit.models import AuditAction as SettingsAction
from b2cportal.audit.services import Change
from b2cportal.network.maventa.client import (
    MaventaClient,
    OperatorCredentials,
    OperatorError,
    OperatorPermanentError,
    OperatorTimeout,
    OperatorTransientError,
)

from .. import credentials
from ..models import Company, OperatorConnection, OperatorEnvironment
from .history import CompanyError, record

WEBHOOK_EVENTS = [
    "DOCUMENTS.INVOICE.DELIVERED",
    "DOCUMENTS.INVOICE.DELIVERY_CONFIRMED",
    "DOCUMENTS.INVOICE.FAILED",
]


@dataclass(frozen=True)
class ConnectionTestResult:
    ok: bool
    message: str


def operator_credentials(connection: OperatorConnection) -> OperatorCredentials:
    """What the client needs, the API key decrypted (raises CredentialsError if it cannot be)."""
    return OperatorCredentials(
        company_uuid=str(connection.company_uuid),
        api_key=credentials.decrypt(connection.api_key_encrypted),
        vendor_api_key=settings.MAVENTA_VENDOR_API_KEY,
        environment=connection.environment,
        base_url=settings.MAVENTA_BASE_URL,
    )


def credentials_of_company(company: Company) -> OperatorCredentials | None:
    """The provider the operator adapter calls (our `operator_credentials_providers` hook)."""
    connection = OperatorConnection.objects.filter(company=company).first()
    if connection is None:
        return None
    try:
        return operator_credentials(connection)
    except credentials.CredentialsError:
        return None


def operator_client(connection: OperatorConnection) -> MaventaClient:
    return MaventaClient(operator_credentials(connection), timeout=settings.MAVENTA_TIMEOUT_SECONDS)


def save_operator_connection(
    *,
    company: Company,
    acting_user: User | None,
    environment: str,
    company_uuid: UUID | str,
    api_key: str = "",
) -> OperatorConnection:
    """Create or change the connection; `api_key` blank keeps the stored key."""
    if environment not in OperatorEnvironment.values:
        raise CompanyError(_("Choose testing or production."), field="environment")
    try:
        company_uuid = UUID(str(company_uuid))
    except ValueError as exc:
        raise CompanyError(
            _("Enter the company UUID the operator gave you (like 1b4e28ba-2fa1-11d2-883f-…)."),
            field="company_uuid",
        ) from exc
    api_key = (api_key or "").strip()
    with transaction.atomic():
        connection = OperatorConnection.objects.select_for_update().filter(company=company).first()
        if connection is None:
            if not api_key:
                raise CompanyError(_("Enter the user API key."), field="api_key")
            connection = OperatorConnection(
                company=company, webhook_token=secrets.token_urlsafe(32)
            )
        changes: list[Change] = []
        for name, new in (("environment", environment), ("company_uuid", company_uuid)):
            old = getattr(connection, name, None)
            if old != new:
                changes.append(Change(name, str(old or ""), str(new)))
                setattr(connection, name, new)
        if api_key:
            connection.api_key_encrypted = credentials.encrypt(api_key)
            # Never the key itself in the history: only that it changed.
            changes.append(Change("api_key_encrypted", "", "••••"))
        if changes:
            # New credentials: the last test and the subscription belong to the old ones.
            connection.last_tested_at = None
            connection.last_test_ok = None
            connection.last_test_message = ""
            connection.webhook_subscription_id = ""
            connection.save()
            record(
                company=company,
                branch=None,
                actor=acting_user,
                action=SettingsAction.OPERATOR_CONNECTION_SAVED,
                changes=changes,
            )
        return connection


def operator_webhook_url(connection: OperatorConnection) -> str:
    path = reverse("operator-webhook", kwargs={"token": connection.webhook_token})
    return str(settings.SITE_URL).rstrip("/") + path


def check_operator_connection(
    *, company: Company, acting_user: User | None
) -> ConnectionTestResult:
    """Token + `GET /oauth2/current`; then subscribe the webhook once. Never in a transaction."""
    connection = OperatorConnection.objects.filter(company=company).first()
    if connection is None:
        raise CompanyError(_("Save the operator connection first."))
    subscription_id = ""
    try:
        with operator_client(connection) as client:
            current = client.current()
            operator_company = current.get("company") or {}
            if str(operator_company.get("id", "")).lower() != str(connection.company_uuid):
                raise OperatorPermanentError(
                    _("The API key belongs to another company (%(id)s).")
                    % {"id": operator_company.get("id", "?")}
                )
            if not connection.webhook_subscription_id:
                subscription = client.register_webhook(
                    destination=operator_webhook_url(connection), events=WEBHOOK_EVENTS
                )
                subscription_id = str(subscription.get("id", ""))
        result = ConnectionTestResult(
            ok=True,
            message=_("Connected to the operator as %(name)s (%(bid)s).")
            % {
                "name": operator_company.get("name", "?"),
                "bid": operator_company.get("bid", "?"),
            },
        )
    except credentials.CredentialsError as exc:
        result = ConnectionTestResult(ok=False, message=str(exc))
    except OperatorTimeout:
        result = ConnectionTestResult(
            ok=False, message=_("The operator did not answer in time. Try again later.")
        )
    except OperatorTransientError as exc:
        result = ConnectionTestResult(
            ok=False,
            message=_("The operator is not available right now: %(reason)s") % {"reason": exc},
        )
    except OperatorError as exc:
        result = ConnectionTestResult(
            ok=False, message=_("The operator refused the connection: %(reason)s") % {"reason": exc}
        )
    with transaction.atomic():
        locked = OperatorConnection.objects.select_for_update().get(pk=connection.pk)
        locked.last_tested_at = timezone.now()
        locked.last_test_ok = result.ok
        locked.last_test_message = result.message
        if subscription_id:
            locked.webhook_subscription_id = subscription_id
        locked.save()
        record(
            company=company,
            branch=None,
            actor=acting_user,
            action=SettingsAction.OPERATOR_CONNECTION_TESTED,
            changes=[Change("last_test_message", "", result.message)],
        )
    return result
