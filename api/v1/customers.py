"""Customers: list/search, create, update and upsert by customer number (AR303000).

Every write goes through `b2cportal.customers.services` (the screen's rules and errors); a save
that switches e-invoice (Norway) on asks for the agreement like the screen does.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from agreements.selectors import customer_agreement_rows
from agreements.services import handle_customer_saved
from api.base import CompanyViewSet
from b2cportal.companies.models import Country
from b2cportal.customers.models import Customer, CustomerKind, CustomerLanguage, DeliveryMethod
from b2cportal.customers.selectors import customers_of, search_customers
from b2cportal.customers.services import CustomerError, create_customer, update_customer

from .fields import StrictSerializer, text

# Identifiers may be typed with separators ("811218-9876", "+47 912 34 567"); the service
# stores the canonical, shorter form.
IDENTIFIER_MAX = 30
DEFAULT_LANGUAGE = {"NO": "nb", "SE": "sv"}


class CustomerSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    number = text(20, required=True)
    name = text(200, required=True)
    kind = serializers.ChoiceField(CustomerKind.choices, required=False)
    national_id = text(IDENTIFIER_MAX, help_text="Personnummer / fødselsnummer / D-number.")
    organisation_number = text(IDENTIFIER_MAX)
    vat_number = text(30)
    address_line1 = text(200)
    address_line2 = text(200)
    postcode = text(IDENTIFIER_MAX)
    city = text(100)
    country = serializers.ChoiceField(Country.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    # Invoicing settings.
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone_1 = text(IDENTIFIER_MAX)
    phone_2 = text(IDENTIFIER_MAX)
    language = serializers.ChoiceField(CustomerLanguage.choices, required=False)
    delivery_method = serializers.ChoiceField(DeliveryMethod.choices, required=False)
    einvoice_norway = serializers.BooleanField(
        required=False,
        help_text=(
            "Send invoice to AutoInvoice as e-Invoice (Norway). Norwegian companies only; "
            "offered once the customer exists (not on create), and needs country Norway, "
            "postcode and city, and an email or a mobile number."
        ),
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        company = self.context.get("company")
        # A Swedish company never sees the Norway-only option.
        if company is not None and not company.is_norwegian:
            self.fields.pop("einvoice_norway")


class CustomerUpsertSerializer(CustomerSerializer):
    """PUT /customers/{number}/: the number comes from the path."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("number")


class CustomerFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    kind = serializers.ChoiceField(CustomerKind.choices, required=False)
    country = serializers.ChoiceField(Country.choices, required=False)
    delivery_method = serializers.ChoiceField(DeliveryMethod.choices, required=False)
    einvoice_norway = serializers.BooleanField(required=False, allow_null=True, default=None)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class AgreementEventSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like a DRF attribute
    created_at = serializers.DateTimeField()


class AgreementSerializer(serializers.Serializer):
    branch = serializers.CharField(source="branch.branch_id")
    branch_name = serializers.CharField(source="branch.name")
    network = serializers.CharField()
    network_label = serializers.CharField()
    status = serializers.CharField(source="agreement.status", default=None)
    status_label = serializers.CharField(source="agreement.get_status_display", default=None)
    reference = serializers.CharField(source="agreement.reference", default=None)
    source = serializers.CharField(source="agreement.source", default=None)  # type: ignore[assignment]  # a field named like a DRF attribute
    last_updated = serializers.DateTimeField(source="agreement.last_updated", default=None)
    events = AgreementEventSerializer(source="agreement.events.all", many=True, default=list)


@extend_schema_view(
    list=extend_schema(
        summary="List and search customers",
        parameters=[CustomerFilterSerializer],
        description="Search by number, name, email, phone (any format) or exact national ID / "
        "organisation number, like the customer list. Ordered by customer number.",
    ),
    create=extend_schema(summary="Create a customer", responses={201: CustomerSerializer}),
    retrieve=extend_schema(summary="One customer by customer number"),
    update=extend_schema(
        summary="Upsert a customer by customer number",
        request=CustomerUpsertSerializer,
        responses={200: CustomerSerializer, 201: CustomerSerializer},
        description="Creates the customer (201) when the number is new, else changes the "
        "fields given (200); fields left out keep their value.",
    ),
    partial_update=extend_schema(summary="Change some fields of a customer"),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CompanyViewSet):
    """Customers of the key's company, addressed by customer number."""

    serializer_class = CustomerSerializer
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    ordering = "number"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no key, no company
            return Customer.objects.none()
        return customers_of(company=self.company)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "company": self.company}

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        filters = CustomerFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return search_customers(
            company=self.company,
            query=data.get("q", ""),
            kind=data.get("kind", ""),
            country=data.get("country", ""),
            delivery_method=data.get("delivery_method", ""),
            einvoice_norway=data.get("einvoice_norway"),
            is_active=data.get("is_active"),
        )

    def _answer(self, customer: Customer, code: int) -> Response:
        body = self.get_serializer(customer).data
        headers = {}
        if code == status.HTTP_201_CREATED:
            headers["Location"] = self.reverse_detail(customer)
        return Response(body, status=code, headers=headers)

    def reverse_detail(self, customer: Customer) -> str:
        from django.urls import reverse

        return reverse("api:customer-detail", kwargs={"number": customer.number})

    def _saved(self, customer: Customer) -> None:
        # Like the customer screen: the view composes customers and agreements (DESIGN §2).
        handle_customer_saved(
            customer=customer, acting_user=self.acting_user, current_branch=self.default_branch()
        )

    def _create(self, data: dict) -> Customer:
        # The form's default: documents in the company's language unless the ERP says otherwise.
        data.setdefault("language", DEFAULT_LANGUAGE.get(self.company.country, "en"))
        return create_customer(company=self.company, acting_user=self.acting_user, data=data)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = self._create(dict(serializer.validated_data))
        return self._answer(customer, status.HTTP_201_CREATED)

    def update(self, request, number: str):
        existing = self.get_queryset().filter(number=number).first()
        serializer = CustomerUpsertSerializer(
            data=request.data, partial=existing is not None, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        if existing is None:
            try:
                customer = self._create({**serializer.validated_data, "number": number})
            except CustomerError as exc:
                # Two upserts of a new number at once: the one that lost the insert updates.
                existing = self.get_queryset().filter(number=number).first()
                if exc.field != "number" or existing is None:
                    raise
            else:
                return self._answer(customer, status.HTTP_201_CREATED)
        customer = update_customer(
            customer=existing, acting_user=self.acting_user, data=serializer.validated_data
        )
        self._saved(customer)
        return self._answer(customer, status.HTTP_200_OK)

    def partial_update(self, request, number: str):
        customer = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        customer = update_customer(
            customer=customer, acting_user=self.acting_user, data=serializer.validated_data
        )
        self._saved(customer)
        return self._answer(customer, status.HTTP_200_OK)

    @extend_schema(
        summary="The customer's consumer e-invoice agreements",
        responses=AgreementSerializer(many=True),
        parameters=[OpenApiParameter("number", str, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def agreements(self, request, number: str):
        """Status per branch and network (eFaktura in Norway, bank e-invoice via FMI in Sweden)."""
        customer = self.get_object()
        rows = customer_agreement_rows(customer=customer)
        return Response(AgreementSerializer(rows, many=True).data)
