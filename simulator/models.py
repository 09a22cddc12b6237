"""The simulated delivery network's own state, stored in our database.

This is what a real network would hold on its side: the national company registers, the eFaktura
receiver directory, FMI registrations, digital mailbox accounts, Peppol and operator address
books, service activations, and messages it sent to consumers. It is keyed by plain identifiers
(organisation numbers, national IDs), never by our models, because a real network knows nothing
of our tables. Everything here is labelled *simulated* in the UI.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryFault(models.TextChoices):
    """How the simulated network answers deliveries to one receiver (tests and demos)."""

    NONE = "", _("Delivers normally")
    REJECTED = "rejected", _("Rejects the document")
    UNREACHABLE = "unreachable", _("Refuses the delivery (permanent error)")
    TRANSIENT = "transient", _("Temporarily unavailable (try again later)")
    TIMEOUT = "timeout", _("Accepts the document, then times out")
    ACCEPT_ONLY = "accept_only", _("Accepts, delivers later (stays accepted)")


def delivery_fault_field():
    return models.CharField(
        _("simulated delivery failure"),
        max_length=12,
        choices=DeliveryFault.choices,
        blank=True,
        default="",
        help_text=_("Makes the simulated network fail deliveries to this receiver this way."),
    )


class RegisterEntry(models.Model):
    """A company in the national register (Brønnøysund in Norway, Bolagsverket in Sweden)."""

    country = models.CharField(_("country"), max_length=2)
    organisation_number = models.CharField(_("organisation number"), max_length=12)
    name = models.CharField(_("registered name"), max_length=200)

    class Meta:
        verbose_name = _("register entry (simulated)")
        verbose_name_plural = _("register entries (simulated)")
        # The network's own side of the simulator is for superusers and simulator operators.
        permissions = [("operate_network", _("Can operate the simulated network"))]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "organisation_number"], name="register_entry_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.organisation_number} {self.name}"


class ServiceKind(models.TextChoices):
    B2CNO = "b2cno", _("AutoInvoice B2C (Norway)")
    B2CSE = "b2cse", _("B2CSE (Sweden)")


class ActivationRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    DEACTIVATED = "deactivated", _("Deactivated")


class ActivationRequest(models.Model):
    """A service activation as the network sees it; completes at `completes_at`."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.CharField(_("service"), max_length=10, choices=ServiceKind.choices)
    organisation_number = models.CharField(_("organisation number"), max_length=12)
    payload = models.JSONField(_("request"), default=dict)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ActivationRequestStatus.choices,
        default=ActivationRequestStatus.PENDING,
    )
    result = models.JSONField(_("result"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    completes_at = models.DateTimeField(_("completes at"))

    class Meta:
        verbose_name = _("activation request (simulated)")
        verbose_name_plural = _("activation requests (simulated)")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.service} {self.organisation_number} {self.status}"


class EFakturaReceiver(models.Model):
    """A Norwegian consumer in the eFaktura receiver directory.

    `always_efaktura` is the "Ja takk til alle" (Alltid eFaktura) consent: eFaktura from every
    issuer, except those listed in `blocked_issuers` (organisation numbers).
    """

    national_id = models.CharField(_("national identity number"), max_length=11, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    always_efaktura = models.BooleanField(_("Ja takk til alle"), default=True)
    blocked_issuers = models.JSONField(_("blocked issuers"), default=list, blank=True)
    delivery_fault = delivery_fault_field()

    class Meta:
        verbose_name = _("eFaktura receiver (simulated)")
        verbose_name_plural = _("eFaktura receivers (simulated)")
        indexes = [models.Index(fields=["national_id"]), models.Index(fields=["mobile"])]

    def __str__(self) -> str:
        return f"{self.name} {self.national_id}"


class FmiRegistration(models.Model):
    """A Swedish consumer's FMI with one issuer (FUI), created in their online bank."""

    ssn = models.CharField(_("personal identity number"), max_length=12)
    bank_id = models.CharField(_("bank ID"), max_length=4)
    issuer_fui = models.CharField(_("issuer FUI"), max_length=40)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivery_fault = delivery_fault_field()

    class Meta:
        verbose_name = _("FMI registration (simulated)")
        verbose_name_plural = _("FMI registrations (simulated)")
        indexes = [models.Index(fields=["ssn", "issuer_fui"])]

    def __str__(self) -> str:
        return self.fmi

    @property
    def fmi(self) -> str:
        return f"{self.ssn}.{self.bank_id}.SE"


class MailboxProvider(models.TextChoices):
    BILLO = "billo", "Billo"
    KIVRA = "kivra", "Kivra"


class DigitalMailboxAccount(models.Model):
    """A Swedish consumer's Billo or Kivra account, looked up by SSN."""

    ssn = models.CharField(_("personal identity number"), max_length=12)
    provider = models.CharField(_("provider"), max_length=10, choices=MailboxProvider.choices)
    delivery_fault = delivery_fault_field()

    class Meta:
        verbose_name = _("digital mailbox account (simulated)")
        verbose_name_plural = _("digital mailbox accounts (simulated)")
        constraints = [
            models.UniqueConstraint(fields=["ssn", "provider"], name="mailbox_account_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.ssn}"


class ParticipantKind(models.TextChoices):
    INTERNAL = "internal", _("Internal network participant")
    PEPPOL = "peppol", _("Peppol participant")
    OPERATOR = "operator", _("Swedish operator address book (InExchange/NEA)")


class Participant(models.Model):
    """A business receiver reachable through the internal network, Peppol or an operator."""

    kind = models.CharField(_("kind"), max_length=10, choices=ParticipantKind.choices)
    scheme = models.CharField(_("scheme"), max_length=4)  # 0192 (NO orgnr), 0007 (SE orgnr)
    identifier = models.CharField(_("identifier"), max_length=40)
    name = models.CharField(_("name"), max_length=200, blank=True)
    operator = models.CharField(_("operator"), max_length=40, blank=True)
    delivery_fault = delivery_fault_field()

    class Meta:
        verbose_name = _("participant (simulated)")
        verbose_name_plural = _("participants (simulated)")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scheme", "identifier"], name="participant_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.scheme}:{self.identifier}"


class MessageChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class OutboundMessage(models.Model):
    """An SMS or email the (simulated) network sent to a consumer, e.g. an agreement request."""

    channel = models.CharField(_("channel"), max_length=5, choices=MessageChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    body = models.TextField(_("text"))
    link = models.URLField(_("link"), max_length=500, blank=True)
    purpose = models.CharField(_("purpose"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("message (simulated)")
        verbose_name_plural = _("messages (simulated)")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient}"


class InboxKind(models.TextChoices):
    """Where a delivered document ended up on the (simulated) network side."""

    INTERNAL = "internal", _("Internal network receiver")
    PEPPOL = "peppol", _("Peppol receiver")
    OPERATOR = "operator", _("Swedish operator network receiver")
    EFAKTURA = "efaktura", _("Online bank (Norway, eFaktura)")
    BANK_SE = "bank_se", _("Online bank (Sweden, FMI)")
    BILLO = "billo", "Billo"
    KIVRA = "kivra", "Kivra"


class InboxDocument(models.Model):
    """A document the simulated network accepted, in the receiver's inbox.

    The document UUID is unique: a repeated delivery of the same document returns the first
    receipt and only counts the repeat, exactly as the idempotency key promises.
    """

    document_uuid = models.UUIDField(_("document UUID"), unique=True)
    kind = models.CharField(_("inbox"), max_length=10, choices=InboxKind.choices)
    recipient = models.CharField(_("recipient"), max_length=60, db_index=True)
    recipient_name = models.CharField(_("recipient name"), max_length=200, blank=True)
    issuer_identifier = models.CharField(_("issuer"), max_length=40)
    issuer_name = models.CharField(_("issuer name"), max_length=200, blank=True)
    document_number = models.CharField(_("document number"), max_length=40, blank=True)
    content_type = models.CharField(_("content type"), max_length=60)
    content = models.BinaryField(_("document"))
    repeats = models.PositiveIntegerField(_("repeated deliveries"), default=0)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("inbox document (simulated)")
        verbose_name_plural = _("inbox documents (simulated)")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.recipient} {self.document_number}"


class ConsumerLink(models.Model):
    """A link the network sent a consumer (an eFaktura offer in the online bank).

    The URL carries a signed, timestamped token naming this row; the row holds what the link
    offers and records its use, so a link works once and for `CONSUMER_LINK_MAX_AGE` only.
    """

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    issuer = models.CharField(_("issuer"), max_length=12, db_index=True)
    offer = models.JSONField(_("offer"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_for = models.CharField(_("used for"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("consumer link (simulated)")
        verbose_name_plural = _("consumer links (simulated)")

    def __str__(self) -> str:
        return f"{self.issuer} {self.token}"
