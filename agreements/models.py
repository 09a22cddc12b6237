"""Consumer e-invoice agreements (DESIGN §4), their event log and the requests we send.

An agreement is between one customer and one branch on one network: eFaktura in Norway (the
reference is the customer number), bank e-invoice via FMI in Sweden (the reference is the FMI).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.models import Branch
from b2cportal.customers.models import Customer


class AgreementNetwork(models.TextChoices):
    NO_EFAKTURA = "NO_EFAKTURA", _("eFaktura (Norway)")
    SE_BANK = "SE_BANK", _("Bank e-invoice via FMI (Sweden)")


class AgreementStatus(models.TextChoices):
    NEW = "NEW", _("New")
    REQUEST_SENT = "REQUEST_SENT", _("Request sent")
    ACCEPTED = "ACCEPTED", _("Accepted")
    ACTIVE = "ACTIVE", _("Active")
    DELETED = "DELETED", _("Deleted")
    REJECTED = "REJECTED", _("Rejected")
    ERROR = "ERROR", _("Error")


# Deleted and rejected agreements are history; a new one may start beside them.
DEAD_STATUSES = (AgreementStatus.DELETED, AgreementStatus.REJECTED)
LIVE_STATUSES = tuple(s for s in AgreementStatus if s not in DEAD_STATUSES)


class AgreementSource(models.TextChoices):
    REQUEST_SMS = "request_sms", _("Request by SMS")
    REQUEST_EMAIL = "request_email", _("Request by email")
    ONLINE_BANK = "online_bank", _("Consumer in online bank")
    AGREEMENT_CAPTURE = "agreement_capture", _("Agreement capture")
    JTTA = "jtta", _("Ja takk til alle (JTTA)")
    FMI_ONBOARDING = "fmi_onboarding", _("FMI onboarding")


# What exists in each country: a Swedish company has bank agreements created by FMI onboarding
# (active or cancelled) and none of Norway's requests, JTTA or agreement capture.
NETWORK_BY_COUNTRY = {"NO": AgreementNetwork.NO_EFAKTURA, "SE": AgreementNetwork.SE_BANK}
SOURCES_BY_COUNTRY = {
    "NO": (
        AgreementSource.REQUEST_SMS,
        AgreementSource.REQUEST_EMAIL,
        AgreementSource.ONLINE_BANK,
        AgreementSource.AGREEMENT_CAPTURE,
        AgreementSource.JTTA,
    ),
    "SE": (AgreementSource.FMI_ONBOARDING,),
}
STATUSES_BY_COUNTRY = {
    "NO": tuple(AgreementStatus),
    "SE": (AgreementStatus.ACTIVE, AgreementStatus.DELETED),
}


class EventSource(models.TextChoices):
    """What caused one status change (wider than how the agreement came)."""

    REQUEST_SMS = "request_sms", _("Request by SMS")
    REQUEST_EMAIL = "request_email", _("Request by email")
    ONLINE_BANK = "online_bank", _("Consumer in online bank")
    AGREEMENT_CAPTURE = "agreement_capture", _("Agreement capture")
    JTTA = "jtta", _("Ja takk til alle (JTTA)")
    FMI_ONBOARDING = "fmi_onboarding", _("FMI onboarding")
    NETWORK = "network", _("Network")
    USER = "user", _("User")


class ConsumerAgreement(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("customer")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("branch")
    )
    network = models.CharField(_("network"), max_length=12, choices=AgreementNetwork.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.NEW
    )
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=AgreementSource.choices)
    last_updated = models.DateTimeField(_("last updated"), auto_now=True)

    class Meta:
        verbose_name = _("consumer agreement")
        verbose_name_plural = _("consumer agreements")
        ordering = ["-last_updated", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "branch", "network"],
                condition=~Q(status__in=["DELETED", "REJECTED"]),
                name="one_live_agreement_per_customer_branch_network",
            ),
        ]
        indexes = [
            # The support list: a company's branches, newest first, optionally by status.
            models.Index(
                fields=["branch", "-last_updated", "-id"], name="agreement_branch_updated_idx"
            ),
            models.Index(
                fields=["branch", "status", "-last_updated", "-id"],
                name="agreement_branch_status_idx",
            ),
            models.Index(fields=["customer", "network", "status"], name="agreement_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} / {self.branch} / {self.network}: {self.status}"

    @property
    def is_live(self) -> bool:
        return self.status not in DEAD_STATUSES


class AgreementEvent(models.Model):
    """One status change (or a received event that changed nothing), never edited."""

    agreement = models.ForeignKey(
        ConsumerAgreement, on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=AgreementStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=AgreementStatus.choices)
    source = models.CharField(_("source"), max_length=20, choices=EventSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # The network's id for an inbound event: unique, so one event is applied once.
    external_event_id = models.CharField(
        _("external event id"), max_length=100, null=True, blank=True, unique=True
    )
    detail = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement event")
        verbose_name_plural = _("agreement events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["agreement", "created_at"], name="agreement_event_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status} ({self.source})"


class RequestChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    ONLINE_BANK = "online_bank", _("Invitation in online bank")


class RequestStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AgreementRequest(models.Model):
    """An agreement request sent to the consumer: the outbound message on record."""

    agreement = models.ForeignKey(
        ConsumerAgreement, on_delete=models.CASCADE, related_name="requests"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=RequestChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    text = models.TextField(_("text"), blank=True)
    link = models.URLField(_("link"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.QUEUED
    )
    network_reference = models.CharField(_("network reference"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement request")
        verbose_name_plural = _("agreement requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agreement", "-created_at"], name="agreement_request_idx")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient}: {self.status}"
