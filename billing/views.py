"""*Invoices → Import*: upload CSV or UBL files, follow the progress, download the error rows."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from b2cportal.companies.permissions import EDITORS, company_member_required
from b2cportal.pagination import capped_page

from . import selectors, services
from .exports import error_rows_csv
from .forms import ImportForm
from .models import BatchFormat, BatchSource, RowStatus

ROWS_PER_PAGE = 100


def _rows_from_upload(files) -> tuple[str, list[dict], str]:
    if files[0].name.lower().endswith(".csv"):
        return BatchFormat.CSV, services.parse_csv(files[0].read()), files[0].name
    rows = []
    for upload in files:
        content = upload.read()
        try:
            xml = content.decode("utf-8")
        except UnicodeDecodeError:
            xml = content.decode("latin-1")
        rows.append({"reference": upload.name, "filename": upload.name, "xml": xml})
    return BatchFormat.UBL, rows, files[0].name if len(files) == 1 else ""


@company_member_required(roles=EDITORS)
def import_invoices(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            fmt, rows, filename = _rows_from_upload(form.cleaned_data["files"])
            batch = services.create_batch(
                company=request.company,
                branch=request.branch,
                rows=rows,
                format=fmt,
                source=BatchSource.SCREEN,
                acting_user=request.user,
                release=form.cleaned_data["release"],
                send=form.cleaned_data["send"],
                filename=filename,
            )
        except services.BatchError as exc:
            form.add_error("files", str(exc))
        else:
            messages.success(request, _("The import has started."))
            return redirect(batch)
    batches = selectors.batches_of(company=request.company)[:20]
    return render(
        request,
        "billing/import.html",
        {"form": form, "batches": batches, "columns": services.CSV_COLUMNS},
        status=400 if form.errors else 200,
    )


def _batch(request, pk: int):
    return get_object_or_404(selectors.batches_of(company=request.company), pk=pk)


@company_member_required(roles=EDITORS)
def batch_detail(request, pk: int):
    batch = _batch(request, pk)
    progress = selectors.batch_progress(batch=batch)
    failed = capped_page(
        selectors.batch_rows(batch=batch, status=RowStatus.FAILED),
        request.GET.get("page"),
        per_page=ROWS_PER_PAGE,
    )
    return render(
        request,
        "billing/detail.html",
        {
            "batch": batch,
            "progress": progress,
            "failed": failed,
            "created": selectors.batch_rows(batch=batch, status=RowStatus.CREATED)[:ROWS_PER_PAGE],
        },
    )


@company_member_required(roles=EDITORS)
def batch_status(request, pk: int):
    return JsonResponse(selectors.batch_progress(batch=_batch(request, pk)))


@company_member_required(roles=EDITORS)
def batch_errors_csv(request, pk: int):
    batch = _batch(request, pk)
    content = error_rows_csv(batch=batch, language=translation.get_language() or "en")
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    return response
