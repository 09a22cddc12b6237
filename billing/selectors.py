"""Reads of batches: the company's batches, progress, rows."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from b2cportal.companies.models import Company

from .models import InvoiceBatch, InvoiceBatchRow, RowStatus


def batches_of(*, company: Company) -> QuerySet[InvoiceBatch]:
    return InvoiceBatch.objects.filter(company=company).select_related("branch", "created_by")


def batch_progress(*, batch: InvoiceBatch) -> dict:
    """Counts per row status, percent done and whether the batch is finished."""
    counts = InvoiceBatchRow.objects.filter(batch=batch).aggregate(
        created=Count("pk", filter=Q(status=RowStatus.CREATED)),
        failed=Count("pk", filter=Q(status=RowStatus.FAILED)),
    )
    done = counts["created"] + counts["failed"]
    total = batch.total or 0
    return {
        "total": total,
        "created": counts["created"],
        "failed": counts["failed"],
        "done": done,
        "pending": total - done,
        "percent": 100 if not total else int(done * 100 / total),
        "finished": done >= total,
    }


def batch_rows(*, batch: InvoiceBatch, status: str | None = None) -> QuerySet[InvoiceBatchRow]:
    rows = InvoiceBatchRow.objects.filter(batch=batch).select_related("invoice")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("index")
