"""Sales invoices and credit notes (AR301000), their lines, and gap-free numbering per company.

A draft is freely editable; release assigns the number, the payment reference and freezes the
document. Corrections after release are credit notes, never edits.
"""

from __future__ import annotations

import functools
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.models import Branch, Company
from b2cportal.customers.models import Customer
from b2cportal.extensions import hooks


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class DeliveryStatus(models.TextChoices):
    NOT_SENT = "not_sent", _("Not sent")
    SENT_TO_AUTOINVOICE = "sent_to_autoinvoice", _("Sent to AutoInvoice")
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    ERROR = "error", _("Error")
    AWAITING_AGREEMENT = "awaiting_agreement", _("Awaiting agreement")


# The channel an invoice went out by is stored as a code ("channel:email") in
# `delivery_status_detail` and named when shown, in the reader's language. Routing owns the
# channels and names them through the `delivery_channels` extension point (TextChoices classes;
# invoices sits below it).
CHANNEL_DETAIL_PREFIX = "channel:"


@functools.cache
def delivery_channels() -> tuple[dict[str, Any], dict[str, str]]:
    """The channel labels by code, and (for rows stored before the code was) the English label
    -> the code, to name those translated too."""
    labels: dict[str, Any] = {}
    for channel_choices in hooks("delivery_channels"):
        labels.update(channel_choices.choices)  # type: ignore[attr-defined]  # a TextChoices class
    with translation.override("en"):
        codes = {str(label): code for code, label in labels.items()}
    return labels, codes


class VatCategory(models.TextChoices):
    """UNCL5305 subset used by EN 16931."""

    # Any rate: the rate's own name (ordinary, reduced, low) comes from `invoices.vat`.
    STANDARD = "S", _("VAT charged")
    ZERO = "Z", _("Zero rated")
    EXEMPT = "E", _("Exempt from VAT")
    REVERSE_CHARGE = "AE", _("Reverse charge")
    INTRA_EU = "K", _("Intra-community supply")
    EXPORT = "G", _("Export outside the EU")
    OUTSIDE_SCOPE = "O", _("Outside the scope of VAT")


class Unit(models.TextChoices):
    """UN/ECE Recommendation 20 unit codes, shown with friendly labels."""

    EACH = "EA", _("each")
    PIECE = "H87", _("piece")
    HOUR = "HUR", _("hour")
    DAY = "DAY", _("day")
    MONTH = "MON", _("month")
    KILOGRAM = "KGM", _("kilogram")
    LITRE = "LTR", _("litre")
    METRE = "MTR", _("metre")
    KILOWATT_HOUR = "KWH", _("kilowatt hour")
    ONE = "C62", _("unit")


class Invoice(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("company")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("branch")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("customer")
    )
    kind = models.CharField(
        _("type"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    credited_invoice = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("credited invoice"),
    )
    # Blank until release; then unique within the company (the partial constraint below).
    number = models.CharField(_("reference nbr."), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    issue_date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3)
    buyer_reference = models.CharField(_("customer ref. nbr."), max_length=100, blank=True)
    note = models.TextField(_("description"), blank=True)
    total_excl_vat = models.DecimalField(
        _("amount excl. VAT"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    total_vat = models.DecimalField(
        _("VAT total"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    total_incl_vat = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    payment_reference = models.CharField(
        _("payment reference (KID/OCR)"), max_length=25, blank=True
    )
    # Credit notes only: the VAT of a group ("S|25.00" -> "12.34") whose last uncredited amount
    # this credit note takes, so that all credits add up to the invoice's VAT exactly.
    vat_overrides = models.JSONField(_("VAT of closing credits"), default=dict, blank=True)
    # The idempotency key for everything outside: networks, outbox, webhooks.
    document_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    # Frozen at release: the document snapshot (ubl.snapshot_to_json) and its UBL bytes, so the
    # released document stays as sent when the customer or company is edited later.
    document_snapshot = models.JSONField(
        _("document snapshot"), null=True, blank=True, editable=False
    )
    document_xml = models.BinaryField(_("UBL document"), null=True, blank=True, editable=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    delivery_status = models.CharField(
        _("delivery status"),
        max_length=20,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.NOT_SENT,
    )
    delivery_status_detail = models.CharField(
        _("delivery status detail"), max_length=500, blank=True
    )
    # Structured, so "awaiting agreement until …" is worded in the reader's language and locale.
    delivery_status_until = models.DateTimeField(_("delivery status until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"],
                condition=~Q(number=""),
                name="invoice_number_unique_per_company",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", credited_invoice__isnull=True) | Q(kind="credit_note"),
                name="invoice_has_no_credited_invoice",
            ),
        ]
        # The list (invoices.selectors.invoice_list) is newest first: each filter's index ends
        # in that order, so a first page reads one page of index entries, never sorts.
        indexes = [
            models.Index(
                fields=["company", "status", "-issue_date", "-id"],
                name="invoice_company_status_idx",
            ),
            models.Index(fields=["company", "-issue_date", "-id"], name="invoice_company_date_idx"),
            models.Index(
                fields=["company", "delivery_status", "-issue_date", "-id"],
                name="invoice_company_deliv_idx",
            ),
            # Search: the number from its start (LIKE 'q%' in any collation), the payment and
            # customer references exactly.
            models.Index(
                fields=["company", "number"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="invoice_number_prefix_idx",
            ),
            models.Index(fields=["company", "payment_reference"], name="invoice_payment_ref_idx"),
            models.Index(fields=["company", "buyer_reference"], name="invoice_buyer_ref_idx"),
        ]

    def __str__(self) -> str:
        label = self.number or _("draft")
        return f"{self.get_kind_display()} {label}"

    def get_absolute_url(self) -> str:
        return reverse("invoices:detail", args=[self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        # Financial records: a released invoice or credit note is never deleted.
        if self.is_released:
            raise ValueError(f"{self} is released and cannot be deleted; credit it instead.")
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_released(self) -> bool:
        return self.status != InvoiceStatus.DRAFT

    @property
    def delivery_status_note(self) -> str:
        """The text after the delivery status, worded now in the reader's language and locale.

        A hold is rendered from `delivery_status_until`; the stored detail of a hold (older rows
        kept English text there) is never shown, so the status is not repeated either.
        """
        if self.delivery_status == DeliveryStatus.AWAITING_AGREEMENT:
            if not self.delivery_status_until:
                return ""
            until = formats.date_format(
                timezone.localtime(self.delivery_status_until), "SHORT_DATETIME_FORMAT"
            )
            return gettext("until %(until)s") % {"until": until}
        detail = self.delivery_status_detail
        labels, codes_by_english_label = delivery_channels()
        code = codes_by_english_label.get(detail)
        if detail.startswith(CHANNEL_DETAIL_PREFIX):
            code = detail.removeprefix(CHANNEL_DETAIL_PREFIX)
        if code is not None:
            return str(labels.get(code, code))
        # Otherwise a message id (a failure reason): worded for the reader.
        return gettext(detail) if detail else ""

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    position = models.PositiveIntegerField(_("line"), default=1)
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1")
    )
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices, default=Unit.EACH)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    vat_category = models.CharField(
        _("VAT category"), max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("25.00")
    )
    exemption_reason = models.CharField(_("VAT exemption reason"), max_length=300, blank=True)
    # Set by the services from quantity x unit price; never typed in.
    line_total = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    # The last credit of an invoice line takes what remains of its amount (set by the services),
    # which may differ by a cent from quantity x price; None everywhere else.
    fixed_amount = models.DecimalField(
        _("amount remaining"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # For credit-note lines: the invoice line being credited (partial credits are per line).
    credited_line = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_lines",
        verbose_name=_("credited line"),
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position}: {self.description}"


class InvoiceNumberSequence(models.Model):
    """The next invoice number per company; locked with select_for_update inside release."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="invoice_number_sequence"
    )
    next_number = models.PositiveBigIntegerField(default=1)
    prefix = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = _("invoice number sequence")
        verbose_name_plural = _("invoice number sequences")

    def __str__(self) -> str:
        return f"{self.company}: {self.prefix}{self.next_number}"
