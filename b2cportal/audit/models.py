"""The one audit table: every recorded mutation of every app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """Where a change came from."""

    SCREEN = "screen", _("Screen")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    TASK = "task", _("Background task")
    NETWORK = "network", _("Network")
    SYSTEM = "system", _("System")


class AuditAction(models.TextChoices):
    """What happened. One list for every app, so the labels live (and are translated) here;
    the stored code stays when a label changes."""

    # Invoices
    INVOICE_CREATED = "invoice.created", _("Created")
    INVOICE_UPDATED = "invoice.updated", _("Changed")
    INVOICE_RELEASED = "invoice.released", _("Released")
    INVOICE_VALIDATED = "invoice.validated", _("Validated")
    INVOICE_DELETED = "invoice.deleted", _("Draft deleted")
    # Sending (what people and API keys asked; the outbox's own status log stays in routing's
    # DeliveryEvent). On the invoice, except the bulk send: one row on the bulk, with its counts.
    INVOICE_SENT = "sending.sent", _("Sent")
    INVOICE_REROUTED_EMAIL = "sending.rerouted_email", _("Re-routed by hand: by email")
    INVOICE_REROUTED_PRINT = "sending.rerouted_print", _("Re-routed by hand: on paper")
    DELIVERY_POLLED = "sending.polled", _("Delivery status polled")
    HOLD_ENDED = "sending.hold_ended", _("Hold ended by an agreement change")
    BULK_SEND_STARTED = "sending.bulk", _("Bulk send started")
    # Billing (invoice batches: the import screen and the API)
    BATCH_CREATED = "batch.created", _("Invoice batch created")
    # Customers
    CUSTOMER_CREATED = "customer.created", _("Customer created")
    CUSTOMER_UPDATED = "customer.updated", _("Customer changed")
    # Agreements (what people did; the agreement's own status log stays in its events)
    AGREEMENT_CREATED = "agreement.created", _("Agreement registered")
    AGREEMENT_STATUS_CHANGED = "agreement.status_changed", _("Agreement status changed")
    # Company settings and B2C activation
    AUTOINVOICE_UPDATED = "autoinvoice.updated", _("AutoInvoice settings changed")
    LEDGER_UPDATED = "ledger.updated", _("Customer ledger preferences changed")
    ALTINN_UPDATED = "altinn.updated", _("Altinn settings changed")
    COMPANY_UPDATED = "company.updated", _("Company details changed")
    B2CNO_TERMS_SENT = "b2cno.terms_sent", _("Terms of service sent")
    B2CNO_TERMS_ACCEPTED = "b2cno.terms_accepted", _("Terms of service accepted")
    B2CNO_ACTIVE = "b2cno.active", _("Network confirmed the service")
    B2CNO_REJECTED = "b2cno.rejected", _("Network rejected the activation")
    B2CNO_DEACTIVATED = "b2cno.deactivated", _("Service deactivated")
    B2CSE_SUBMITTED = "b2cse.submitted", _("Activation sent to the network")
    B2CSE_ACTIVE = "b2cse.active", _("Network completed the activation")
    B2CSE_REJECTED = "b2cse.rejected", _("Network rejected the activation")
    B2CSE_ACCOUNT_ADDED = "b2cse.account_added", _("Receiving account added")
    OPERATOR_CONNECTION_SAVED = "operator.saved", _("Operator connection saved")
    OPERATOR_CONNECTION_TESTED = "operator.tested", _("Operator connection tested")
    NETWORK_STATUS_REPORTED = "b2cse.network_status", _("Network reported a status")
    NETWORK_STATUS_UNKNOWN = "b2cse.network_status_unknown", _("Network reported an unknown status")
    # API keys and webhooks
    API_KEY_CREATED = "apikey.created", _("API key created")
    API_KEY_REVOKED = "apikey.revoked", _("API key revoked")
    WEBHOOK_CREATED = "webhook.created", _("Webhook endpoint added")
    WEBHOOK_PAUSED = "webhook.paused", _("Webhook endpoint paused")
    WEBHOOK_RESUMED = "webhook.resumed", _("Webhook endpoint resumed")
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated", _("Webhook signing secret rotated")
    WEBHOOK_RESENT = "webhook.resent", _("Webhook message resent")
    # Django admin saves (AuditedAdminMixin)
    ADMIN_ADDED = "admin.added", _("Added in the admin")
    ADMIN_CHANGED = "admin.changed", _("Changed in the admin")
    ADMIN_DELETED = "admin.deleted", _("Deleted in the admin")


class AuditEntry(models.Model):
    """One mutation, never edited: who (user, API key or task), when, which object, what changed
    (field: old -> new) and from where. `company` scopes the row to its tenant."""

    created_at = models.DateTimeField(_("when"), default=timezone.now)
    # Tenant scoping; string references keep the app free of imports from companies.
    company = models.ForeignKey(
        "companies.Company",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("company"),
    )
    branch = models.ForeignKey(
        "companies.Branch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
    )
    # The object changed (kept after it is deleted: the id and its name at the time).
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("object type")
    )
    object_id = models.BigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # The screen the change also belongs to (an agreement's changes show on its customer).
    parent_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    parent_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(_("action"), max_length=60, choices=AuditAction.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # The API key used (by id: the api app sits above this one) and a name for a non-user
    # actor: the key's name, the task's name, the signer of the terms, the network.
    actor_api_key_id = models.BigIntegerField(_("API key id"), null=True, blank=True)
    actor_label = models.CharField(_("acted as"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=list, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "-created_at"], name="audit_object_idx"
            ),
            models.Index(
                fields=["parent_type", "parent_id", "-created_at"], name="audit_parent_idx"
            ),
            models.Index(fields=["company", "action", "-created_at"], name="audit_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr} at {self.created_at:%Y-%m-%d %H:%M}"
