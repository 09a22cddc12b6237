"""Invoice batches (the billing run) and single-document import.

`POST /api/v1/invoice-batches/` takes up to 10,000 invoices as JSON (`invoices`: a list of rows,
the README's row format) or one CSV file (multipart `file`, the README's column set) with the
options `release` and `send`, and answers 202 with the batch: the workers create the rows in
chunks; `GET` shows progress and, per row, the invoice created or the errors with field paths.
A re-post with the same Idempotency-Key returns the same batch and creates nothing twice.

`POST /api/v1/invoices/import/` turns one UBL / EHF / Peppol BIS 3 invoice or credit note
(the XML as the request body, or multipart `file`) into a draft at once, or 422 with every
reason (element path + message).
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.parsers import BaseParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from api.base import CompanyAPIView, CompanyViewSet
from billing import selectors, services
from billing.models import MAX_ROWS, BatchFormat, BatchSource, InvoiceBatch, RowStatus
from invoices.services import import_ubl_document

from .fields import StrictSerializer

ROW_FILTERS = [*RowStatus.values, "none", "all"]


class BatchCreateSerializer(StrictSerializer):
    invoices = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        max_length=MAX_ROWS,
        help_text=(
            "Rows: {reference, customer_number, issue_date, due_date, buyer_reference, note, "
            "lines: [{description, quantity, unit, unit_price, vat_category, vat_rate, "
            "exemption_reason}]}. Each row is checked on its own; a bad row fails alone."
        ),
    )
    file = serializers.FileField(required=False, help_text="A CSV file (README column set).")
    release = serializers.BooleanField(default=False)
    send = serializers.BooleanField(default=False)

    def validate(self, data):
        if ("invoices" in data) == ("file" in data):
            raise serializers.ValidationError(
                {"invoices": [_("Give either invoices (JSON) or a CSV file, not both.")]}
            )
        return data


def batch_json(batch: InvoiceBatch, rows: str = "all") -> dict:
    progress = selectors.batch_progress(batch=batch)
    body = {
        "id": batch.pk,
        "status": "finished" if progress["finished"] else "processing",
        "format": batch.format,
        "source": batch.source,
        "release": batch.release,
        "send": batch.send,
        "total": progress["total"],
        "created": progress["created"],
        "failed": progress["failed"],
        "pending": progress["pending"],
        "percent": progress["percent"],
        "created_at": batch.created_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
    }
    if rows != "none":
        listed = selectors.batch_rows(batch=batch, status=None if rows == "all" else rows)
        body["rows"] = [
            {
                "index": row.index,
                "reference": row.reference,
                "status": row.status,
                "invoice": None
                if row.invoice is None
                else {
                    "id": row.invoice.pk,
                    "number": row.invoice.number,
                    "status": row.invoice.status,
                    "kind": row.invoice.kind,
                },
                "errors": row.errors,
            }
            for row in listed.iterator(chunk_size=2000)
        ]
    return body


ROWS_PARAMETER = OpenApiParameter(
    "rows",
    str,
    enum=ROW_FILTERS,
    description="Which rows to list: all (default), none, pending, created or failed.",
)


class InvoiceBatchViewSet(mixins.RetrieveModelMixin, CompanyViewSet):
    """Batches of up to 10,000 invoices, processed in chunks by the workers."""

    parser_classes = [JSONParser, MultiPartParser]
    serializer_class = BatchCreateSerializer
    ordering = "-id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI generator has no key
            return InvoiceBatch.objects.none()
        return selectors.batches_of(company=self.company)

    @extend_schema(
        request=BatchCreateSerializer,
        responses={202: OpenApiResponse(description="The batch, rows pending.")},
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data.get("file")
        if upload is not None:
            fmt, rows, filename = BatchFormat.CSV, services.parse_csv(upload.read()), upload.name
        else:
            fmt, rows, filename = BatchFormat.JSON, data["invoices"], ""
        batch = services.create_batch(
            company=self.company,
            branch=self.default_branch(),  # type: ignore[arg-type]  # every company has one
            rows=rows,
            format=fmt,
            source=BatchSource.API,
            acting_user=self.acting_user,
            release=data["release"],
            send=data["send"],
            idempotency_key=request.headers.get("Idempotency-Key", "")[:255],
            filename=filename,
        )
        return Response(
            batch_json(batch, rows="none"),
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"{request.path}{batch.pk}/"},
        )

    @extend_schema(
        parameters=[ROWS_PARAMETER],
        responses={200: OpenApiResponse(description="The batch with its rows.")},
    )
    def retrieve(self, request, pk=None):
        batch = self.get_object()
        rows = request.query_params.get("rows", "all")
        if rows not in ROW_FILTERS:
            raise serializers.ValidationError({"rows": [_("Not one of the choices.")]})
        return Response(batch_json(batch, rows=rows))


class XmlDocumentParser(BaseParser):
    """The request body is the XML document itself (application/xml or text/xml)."""

    media_type = "*/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"file": ContentFile(stream.read(), name="document.xml")}


class InvoiceImportView(CompanyAPIView):
    """Import one UBL / EHF / Peppol BIS 3 invoice or credit note as a draft."""

    parser_classes = [XmlDocumentParser, MultiPartParser]

    @extend_schema(
        request={
            "application/xml": OpenApiTypes.BINARY,
            "multipart/form-data": inline_serializer(
                "InvoiceImportUpload", {"file": serializers.FileField()}
            ),
        },
        responses={
            201: OpenApiResponse(description="The draft created."),
            422: OpenApiResponse(description="Refused: every reason, with element paths."),
        },
    )
    def post(self, request):
        upload = request.data.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": [_("Send the XML document.")]})
        invoice = import_ubl_document(
            company=self.company,
            branch=self.default_branch(),
            xml_bytes=upload.read(),
            acting_user=self.acting_user,
        )
        return Response(
            {
                "id": invoice.pk,
                "kind": invoice.kind,
                "status": invoice.status,
                "customer_number": invoice.customer.number,
                "credited_invoice": invoice.credited_invoice_id,
                "issue_date": invoice.issue_date.isoformat(),
                "due_date": invoice.due_date.isoformat(),
                "total_incl_vat": str(invoice.total_incl_vat),
            },
            status=status.HTTP_201_CREATED,
        )
