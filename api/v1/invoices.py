"""Invoices: drafts from JSON lines, release, credit, send, route preview and trace, delivery
status and history, XML and PDF documents.

Each action is one call to the same service or selector the invoice screen uses
(`invoices.services`, `invoices.selectors`, `routing.services`, `routing.selectors`); refusals
are the services' own errors, mapped to HTTP by `api.errors`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import CompanyViewSet
from api.models import Scope
from b2cportal.companies.selectors import branches_of
from b2cportal.customers.models import Customer
from invoices import selectors as invoice_selectors
from invoices import services as invoice_services
from invoices.calc import STANDARD_RATES
from invoices.models import (
    DeliveryStatus,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Unit,
    VatCategory,
)
from routing import selectors as routing_selectors
from routing import services as routing_services
from routing.decision import BillingAction, Channel, DocumentFormat, rule_label
from routing.models import Delivery
from routing.models import DeliveryStatus as DeliveryRowStatus

from .fields import StrictSerializer, text

OFFERED_CATEGORIES = [VatCategory.STANDARD, VatCategory.ZERO, VatCategory.EXEMPT]


# --- Input ------------------------------------------------------------------------------------


class LineInputSerializer(StrictSerializer):
    description = text(500, required=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    unit = serializers.ChoiceField(Unit.choices, default=Unit.EACH)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"))
    vat_category = serializers.ChoiceField(
        [(c.value, c.label) for c in OFFERED_CATEGORIES], default=VatCategory.STANDARD
    )
    vat_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        help_text="Percent. Standard rate: NO 25/15/12, SE 25/12/6 (default 25); 0 for Z and E.",
    )
    exemption_reason = text(300)

    def validate(self, data):
        # The same check the invoice form runs per line (the rule lives in invoices.services).
        company = self.context["company"]
        category = data.get("vat_category", VatCategory.STANDARD)
        if "vat_rate" not in data:
            data["vat_rate"] = (
                STANDARD_RATES[company.country][0] if category == VatCategory.STANDARD else 0
            )
        problem = invoice_services.vat_problem(
            country=company.country,
            category=category,
            rate=data["vat_rate"],
            reason=data.get("exemption_reason", ""),
        )
        if problem:
            field = "exemption_reason" if category == VatCategory.EXEMPT else "vat_rate"
            raise serializers.ValidationError({field: [problem]})
        return data

    def to_input(self, data) -> invoice_services.LineInput:
        return invoice_services.LineInput(
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            unit=data.get("unit", Unit.EACH),
            vat_category=data.get("vat_category", VatCategory.STANDARD),
            vat_rate=data["vat_rate"],
            exemption_reason=data.get("exemption_reason", ""),
        )


class InvoiceCreateSerializer(StrictSerializer):
    customer = text(20, required=True, help_text="Customer number (an active customer).")
    branch = text(30, help_text="Branch ID; default: the main office.")
    issue_date = serializers.DateField(required=False, help_text="Default: today.")
    due_date = serializers.DateField(required=False, help_text="Default: 14 days after issue.")
    buyer_reference = text(100)
    note = text(1000)
    lines = LineInputSerializer(many=True, allow_empty=False, max_length=500)  # type: ignore[call-arg]

    def validate_customer(self, value: str) -> Customer:
        customer = Customer.objects.filter(
            company=self.context["company"], number=value, is_active=True
        ).first()
        if customer is None:
            raise serializers.ValidationError(
                _("No customer with number %(number)s in this company.") % {"number": value}
            )
        return customer

    def validate_branch(self, value: str):
        if not value:
            return None
        branch = branches_of(company=self.context["company"]).filter(branch_id=value).first()
        if branch is None:
            raise serializers.ValidationError(
                _("No branch with ID %(branch)s in this company.") % {"branch": value}
            )
        return branch

    def validate(self, data):
        issue = data.setdefault("issue_date", timezone.localdate())
        due = data.setdefault("due_date", issue + datetime.timedelta(days=14))
        if due < issue:
            raise serializers.ValidationError(
                {"due_date": [_("The due date cannot be before the invoice date.")]}
            )
        return data


class InvoiceUpdateSerializer(InvoiceCreateSerializer):
    """PATCH of a draft: fields left out keep their value; `lines`, when given, replace all."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("branch")
        self.fields["customer"].required = False
        self.fields["lines"].required = False

    def validate(self, data):
        invoice = self.context["invoice"]
        issue = data.setdefault("issue_date", invoice.issue_date)
        due = data.setdefault("due_date", invoice.due_date)
        if due < issue:
            raise serializers.ValidationError(
                {"due_date": [_("The due date cannot be before the invoice date.")]}
            )
        return data


class ReleaseSerializer(StrictSerializer):
    release_date = serializers.DateField(
        required=False, help_text="The invoice date to release with; default: the draft's."
    )


class CreditLineSerializer(StrictSerializer):
    line = serializers.IntegerField(help_text="Id of the invoice line to credit.")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))


class CreditSerializer(StrictSerializer):
    lines = CreditLineSerializer(
        many=True,
        required=False,
        allow_empty=False,
        help_text="Lines and quantities to credit; leave out to credit all that remains.",
    )
    note = text(1000)


class InvoiceFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    status = serializers.ChoiceField(InvoiceStatus.choices, required=False)
    kind = serializers.ChoiceField(InvoiceKind.choices, required=False)
    delivery_status = serializers.ChoiceField(DeliveryStatus.choices, required=False)
    customer = serializers.CharField(required=False, max_length=20, help_text="Customer number")
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


# --- Output -----------------------------------------------------------------------------------


class LineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    vat_category = serializers.CharField()
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    exemption_reason = serializers.CharField()
    line_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    credited_line = serializers.IntegerField(source="credited_line_id", allow_null=True)


class InvoiceSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    customer = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.name")
    branch = serializers.CharField(source="branch.branch_id")
    credited_invoice = serializers.IntegerField(source="credited_invoice_id", allow_null=True)
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    currency = serializers.CharField()
    total_excl_vat = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_vat = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_incl_vat = serializers.DecimalField(max_digits=14, decimal_places=2)
    payment_reference = serializers.CharField()
    document_uuid = serializers.UUIDField()
    delivery_status = serializers.CharField()
    delivery_status_label = serializers.CharField(source="get_delivery_status_display")
    delivery_status_note = serializers.CharField()
    released_at = serializers.DateTimeField(allow_null=True)


class InvoiceSerializer(InvoiceSummarySerializer):
    buyer_reference = serializers.CharField()
    note = serializers.CharField()
    lines = LineSerializer(source="lines.all", many=True)


class TraceStepSerializer(serializers.Serializer):
    rule = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a field named like a DRF attribute
    outcome = serializers.CharField()
    inputs = serializers.DictField()
    note = serializers.CharField(required=False, allow_blank=True)

    def get_label(self, step) -> str:
        return rule_label(step["rule"])


class RouteSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(Channel.choices, allow_null=True)
    channel_label = serializers.CharField()
    billing_action = serializers.ChoiceField(BillingAction.choices, allow_null=True)
    document_format = serializers.ChoiceField(DocumentFormat.choices, allow_null=True)
    hold = serializers.BooleanField()
    hold_days = serializers.IntegerField()
    error = serializers.CharField()
    trace = TraceStepSerializer(source="trace_json", many=True)


class DeliveryEventSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(DeliveryRowStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    channel = serializers.CharField()
    billing_action = serializers.CharField()
    document_format = serializers.CharField()
    hold_until = serializers.DateTimeField(allow_null=True)
    attempts = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    trace = TraceStepSerializer(many=True)
    events = DeliveryEventSerializer(source="events.all", many=True)


class DeliveryStatusSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="id")
    delivery_status = serializers.CharField()
    delivery_status_label = serializers.CharField(source="get_delivery_status_display")
    delivery_status_note = serializers.CharField()
    deliveries = DeliverySerializer(many=True)


class RuleFailureSerializer(serializers.Serializer):
    stage = serializers.CharField(help_text="xsd, cen or peppol")
    rule_id = serializers.CharField()
    flag = serializers.CharField(help_text="fatal or warning")
    message = serializers.CharField()
    location = serializers.CharField()
    tolerated = serializers.BooleanField()


class ValidationReportSerializer(serializers.Serializer):
    is_valid = serializers.BooleanField()  # type: ignore[assignment]  # a field named like a DRF attribute
    rules_run = serializers.BooleanField()
    stages = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField()
    fatal = RuleFailureSerializer(many=True)
    warnings = RuleFailureSerializer(many=True)
    tolerated = RuleFailureSerializer(many=True)


class DocumentRenderer(renderers.BaseRenderer):
    """Lets clients ask for the document's media type; the view returns the bytes itself."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return renderers.JSONRenderer().render(data)


class XmlRenderer(DocumentRenderer):
    media_type = "application/xml"
    format = "xml"


class PdfRenderer(DocumentRenderer):
    media_type = "application/pdf"
    format = "pdf"


def _document_name(invoice: Invoice, extension: str) -> str:
    label = "creditnote" if invoice.is_credit_note else "invoice"
    return f"{label}-{invoice.number or f'draft-{invoice.pk}'}.{extension}"


# --- Views ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List invoices", parameters=[InvoiceFilterSerializer]),
    retrieve=extend_schema(summary="One invoice with its lines"),
)
class InvoiceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, CompanyViewSet
):
    """Invoices and credit notes of the key's company."""

    serializer_class = InvoiceSerializer
    ordering = "-id"
    lookup_value_regex = r"\d+"
    # Validate writes only an audit entry; the screen offers it to every role.
    scope_by_action = {"send": Scope.SEND, "validate": Scope.READ}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no key, no company
            return Invoice.objects.none()
        queryset = invoice_selectors.invoices_of(company=self.company).select_related(
            "customer", "branch"
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("lines")
        return queryset

    def get_serializer_class(self):
        return InvoiceSummarySerializer if self.action == "list" else InvoiceSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "company": self.company}

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        filters = InvoiceFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        if data.get("customer"):
            data["customer"] = Customer.objects.filter(
                company=self.company, number=data["customer"]
            ).first() or Customer(pk=0)
        return invoice_selectors.invoice_list(company=self.company, filters=data)

    def _detail(self, invoice: Invoice, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().prefetch_related("lines").get(pk=invoice.pk)
        headers = {}
        if code == status.HTTP_201_CREATED:
            headers["Location"] = reverse("api:invoice-detail", args=[fresh.pk])
        return Response(InvoiceSerializer(fresh).data, status=code, headers=headers)

    @extend_schema(
        summary="Create a draft invoice from JSON lines",
        request=InvoiceCreateSerializer,
        responses={201: InvoiceSerializer},
    )
    def create(self, request):
        serializer = InvoiceCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        line_input = LineInputSerializer(context=self.get_serializer_context())
        invoice = invoice_services.create_draft(
            company=self.company,
            branch=data.get("branch") or self.default_branch(),
            customer=data["customer"],
            issue_date=data["issue_date"],
            due_date=data["due_date"],
            lines=[line_input.to_input(line) for line in data["lines"]],
            acting_user=self.acting_user,
            buyer_reference=data.get("buyer_reference", ""),
            note=data.get("note", ""),
        )
        return self._detail(invoice, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a draft (fields left out keep their value; lines replace all lines)",
        request=InvoiceUpdateSerializer,
        responses={200: InvoiceSerializer},
    )
    def partial_update(self, request, pk=None):
        invoice = self.get_object()
        context = {**self.get_serializer_context(), "invoice": invoice}
        serializer = InvoiceUpdateSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        line_input = LineInputSerializer(context=context)
        invoice_services.update_draft(
            invoice=invoice,
            acting_user=self.acting_user,
            customer=data.get("customer") or invoice.customer,
            issue_date=data["issue_date"],
            due_date=data["due_date"],
            lines=[line_input.to_input(line) for line in data["lines"]]
            if "lines" in data
            else None,
            buyer_reference=data.get("buyer_reference", invoice.buyer_reference),
            note=data.get("note", invoice.note),
        )
        return self._detail(invoice)

    @extend_schema(summary="Delete a draft (released invoices are credited instead)")
    def destroy(self, request, pk=None):
        invoice_services.delete_draft(invoice=self.get_object(), acting_user=self.acting_user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Check the UBL document against the XSD, EN 16931 and Peppol BIS 3 rules",
        request=None,
        responses={200: ValidationReportSerializer},
    )
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        invoice = self.get_object()
        report = invoice_selectors.validation_report(invoice=invoice)
        invoice_services.record_validation(
            invoice=invoice,
            acting_user=self.acting_user,
            fatal=len(report.fatal),
            warnings=len(report.warnings),
        )
        return Response(ValidationReportSerializer(report).data)

    @extend_schema(
        summary="Release a draft: number, payment reference, validated and frozen document",
        request=ReleaseSerializer,
        responses={200: InvoiceSerializer},
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        invoice = self.get_object()
        serializer = ReleaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invoice_services.release_invoice(
            invoice=invoice,
            released_by=self.acting_user,
            release_date=serializer.validated_data.get("release_date"),
        )
        return self._detail(invoice)

    @extend_schema(
        summary="Credit an open invoice (all that remains, or chosen lines and quantities)",
        request=CreditSerializer,
        responses={201: InvoiceSerializer},
    )
    @action(detail=True, methods=["post"])
    def credit(self, request, pk=None):
        invoice = self.get_object()
        serializer = CreditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lines = serializer.validated_data.get("lines")
        credit = invoice_services.create_credit_note(
            invoice=invoice,
            acting_user=self.acting_user,
            quantities=None if lines is None else {row["line"]: row["quantity"] for row in lines},
            note=serializer.validated_data.get("note", ""),
        )
        return self._detail(credit, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Send an open invoice (queued; the route is decided by the worker)",
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        invoice = self.get_object()
        delivery = routing_services.send_invoice(invoice=invoice, acting_user=self.acting_user)
        delivery = Delivery.objects.prefetch_related("events").get(pk=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="The route the invoice would take now, with every rule checked",
        responses=RouteSerializer,
    )
    @action(detail=True, methods=["get"])
    def route(self, request, pk=None):
        decision = routing_services.preview_route(invoice=self.get_object())
        return Response(RouteSerializer(decision).data)

    @extend_schema(
        summary="Delivery status, deliveries with their route trace and history",
        responses=DeliveryStatusSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def delivery(self, request, pk=None):
        invoice = self.get_object()
        invoice.deliveries_list = list(
            routing_selectors.deliveries_of(company=self.company)
            .filter(invoice=invoice)
            .prefetch_related("events")
            .order_by("-created_at", "-id")
        )
        body = DeliveryStatusSerializer(invoice).data
        body["deliveries"] = DeliverySerializer(invoice.deliveries_list, many=True).data
        return Response(body)

    def _invoice_for_document(self, pk) -> Invoice:
        try:
            return invoice_selectors.invoice_for_document(company=self.company, pk=int(pk))
        except (Invoice.DoesNotExist, ValueError) as exc:
            from django.http import Http404

            raise Http404 from exc

    @extend_schema(
        summary="The UBL document (Peppol BIS 3 / EHF 3); frozen once released",
        responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, XmlRenderer])
    def xml(self, request, pk=None):
        from invoices.ubl import build_ubl

        invoice = self._invoice_for_document(pk)
        response = HttpResponse(build_ubl(invoice), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{_document_name(invoice, "xml")}"'
        return response

    @extend_schema(
        summary="The PDF in the customer's language",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        from invoices.pdf import build_pdf

        invoice = self._invoice_for_document(pk)
        response = HttpResponse(build_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{_document_name(invoice, "pdf")}"'
        return response
