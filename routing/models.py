"""The delivery outbox: one row per attempt to get an invoice to its receiver.

The database, not the broker, is the source of truth (DESIGN §5): a row is written in the
request's transaction, workers claim it with `select_for_update(skip_locked=True)`, and a
periodic sweeper re-queues whatever the broker lost. One *live* delivery per invoice is a
database constraint, so a double click or ten concurrent sends can never deliver twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.models import Branch, Company
from invoices.models import Invoice

from .decision import BillingAction, Channel, DocumentFormat


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    CLAIMED = "claimed", _("Being sent")
    HELD = "held", _("Held for agreement")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown (awaiting the network's answer)")


# Every status except `failed` counts as live: a failed delivery leaves the invoice sendable.
LIVE_STATUSES = [
    DeliveryStatus.QUEUED,
    DeliveryStatus.CLAIMED,
    DeliveryStatus.HELD,
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.UNKNOWN,
]
DONE_STATUSES = [DeliveryStatus.SENT, DeliveryStatus.DELIVERED]


class BulkSend(models.Model):
    """One click on *Send several invoices or credit notes to AutoInvoice*."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="bulk_sends")
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="bulk_sends"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    total = models.PositiveIntegerField(_("invoices"), default=0)
    skipped = models.JSONField(_("not sent"), default=list, blank=True)

    class Meta:
        verbose_name = _("bulk send")
        verbose_name_plural = _("bulk sends")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.company} {self.created_at:%Y-%m-%d %H:%M} ({self.total})"


class Delivery(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("company")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("branch")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("invoice")
    )
    bulk_send = models.ForeignKey(
        BulkSend, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, blank=True)
    billing_action = models.CharField(
        _("billing action"), max_length=30, choices=BillingAction.choices, blank=True
    )
    document_format = models.CharField(
        _("document format"), max_length=10, choices=DocumentFormat.choices, blank=True
    )
    trace = models.JSONField(_("route trace"), default=list, blank=True)
    hold_until = models.DateTimeField(_("held until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The invoice's document UUID: the idempotency key on every transport call.
    external_id = models.UUIDField(_("external id"), db_index=True)
    # Operator-routed mode: `channel`/`billing_action` are our prediction; these are what the
    # operator reports it actually used (read back from its invoice actions).
    # db_default: the bulk send inserts rows with raw SQL that lists only its own columns.
    operator_channel = models.CharField(
        _("channel used by the operator"),
        max_length=12,
        choices=Channel.choices,
        blank=True,
        default="",
        db_default="",
    )
    operator_billing_action = models.CharField(
        _("billing action reported by the operator"),
        max_length=30,
        choices=BillingAction.choices,
        blank=True,
        default="",
        db_default="",
    )
    receipt = models.JSONField(_("receipt"), default=dict, blank=True)
    # A catalogued message id (shown translated); the other side's own words in error_detail.
    error = models.TextField(_("error"), blank=True)
    error_detail = models.CharField(_("error detail"), max_length=500, blank=True)
    # After a transient failure: not before this time (the backoff).
    retry_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=LIVE_STATUSES),
                name="one_live_delivery_per_invoice",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_until__isnull=False),
                name="held_delivery_has_hold_until",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="delivery_status_updated_idx"),
            models.Index(fields=["company", "completed_at"], name="delivery_company_done_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} → {self.channel or '?'} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def error_label(self) -> str:
        """The reason in the reader's language, with the network's own words after it."""
        if not self.error:
            return ""
        text = gettext(self.error)
        return f"{text} ({self.error_detail})" if self.error_detail else text


class DeliveryEvent(models.Model):
    """History: every status change of a delivery, who or what caused it, and why."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(_("note"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class OutboundDocument(models.Model):
    """Email and print sends we made ourselves, keyed by document UUID so none repeats."""

    external_id = models.UUIDField(unique=True)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    recipient = models.CharField(max_length=254, blank=True)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once the mail server accepted the message / the PDF and manifest line are on disk;
    # empty means an attempt was recorded and its outcome is not known.
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email or print")
        verbose_name_plural = _("outbound emails and prints")

    def __str__(self) -> str:
        return f"{self.channel} {self.external_id}"
