"""Invoice batches: the billing run from an ERP (API) or a file upload (*Invoices → Import*).

A batch holds up to 10,000 rows; each row is one invoice (JSON or grouped CSV lines) or one UBL
file. Workers process the rows in chunks; each row ends `created` (with its invoice) or `failed`
(with errors that name the field), and a row's result is written in the same transaction as its
invoice, so a chunk that runs twice creates nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.models import Branch, Company
from invoices.models import Invoice

MAX_ROWS = 10_000


class BatchFormat(models.TextChoices):
    JSON = "json", _("JSON")
    CSV = "csv", _("CSV")
    UBL = "ubl", _("UBL files")


class BatchSource(models.TextChoices):
    API = "api", _("API")
    SCREEN = "screen", _("Import screen")


class RowStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    # The draft exists; its release waits for the company's number sequence.
    DRAFTED = "drafted", _("Draft created, waiting for release")
    CREATED = "created", _("Created")
    FAILED = "failed", _("Failed")


class InvoiceBatch(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="invoice_batches", verbose_name=_("company")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="invoice_batches", verbose_name=_("branch")
    )
    source = models.CharField(_("source"), max_length=10, choices=BatchSource.choices)
    format = models.CharField(_("format"), max_length=10, choices=BatchFormat.choices)
    filename = models.CharField(_("file"), max_length=255, blank=True)
    release = models.BooleanField(_("release"), default=False)
    send = models.BooleanField(_("send"), default=False)
    total = models.PositiveIntegerField(_("rows"), default=0)
    # Per company; the API's Idempotency-Key, so a re-posted batch finds this one.
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    # Row errors are worded in the language of whoever started the batch.
    language = models.CharField(max_length=10, default="en")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice batch")
        verbose_name_plural = _("invoice batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="batch_idempotency_key_unique_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} {self.created_at:%Y-%m-%d %H:%M} ({self.total})"

    def get_absolute_url(self) -> str:
        return reverse("billing:detail", args=[self.pk])


class InvoiceBatchRow(models.Model):
    batch = models.ForeignKey(InvoiceBatch, on_delete=models.CASCADE, related_name="rows")
    index = models.PositiveIntegerField(_("row"))
    # The ERP's own reference of the row (CSV invoice_ref, JSON reference, UBL file name).
    reference = models.CharField(_("reference"), max_length=255, blank=True)
    data = models.JSONField(_("data"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=RowStatus.choices, default=RowStatus.PENDING
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # [{"field": "lines[1].vat_rate", "message": "..."}], in the language of the batch's creator.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("batch row")
        verbose_name_plural = _("batch rows")
        ordering = ["batch", "index"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "index"], name="batch_row_index_unique"),
        ]
        indexes = [models.Index(fields=["batch", "status"], name="batch_row_status_idx")]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.index}"
