"""Consumer e-invoice agreements of the company (the support screen's list)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from agreements.models import AgreementNetwork, AgreementStatus, ConsumerAgreement
from agreements.selectors import SupportFilters, agreements_for_support, support_page_queryset
from api.base import CompanyViewSet
from b2cportal.companies.selectors import branches_of


class AgreementFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Customer number, name, email, phone or exact national ID",
    )
    status = serializers.ChoiceField(AgreementStatus.choices, required=False)
    network = serializers.ChoiceField(AgreementNetwork.choices, required=False)
    branch = serializers.CharField(required=False, max_length=30, help_text="Branch ID")

    def validate_branch(self, value: str) -> int:
        branch = branches_of(company=self.context["company"]).filter(branch_id=value).first()
        if branch is None:
            raise serializers.ValidationError(
                _("No branch with ID %(branch)s in this company.") % {"branch": value}
            )
        return branch.pk


class AgreementListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.name")
    branch = serializers.CharField(source="branch.branch_id")
    network = serializers.ChoiceField(AgreementNetwork.choices)
    status = serializers.ChoiceField(AgreementStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    reference = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like a DRF attribute
    last_updated = serializers.DateTimeField()


@extend_schema_view(
    list=extend_schema(
        summary="Agreements of the company, newest first",
        parameters=[AgreementFilterSerializer],
    )
)
class AgreementViewSet(mixins.ListModelMixin, CompanyViewSet):
    """Consumer e-invoice agreements (eFaktura in Norway, bank e-invoice via FMI in Sweden)."""

    serializer_class = AgreementListSerializer
    ordering = "-id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no key, no company
            return ConsumerAgreement.objects.none()
        filters = AgreementFilterSerializer(
            data=self.request.query_params, context={"company": self.company}
        )
        filters.is_valid(raise_exception=True)
        return support_page_queryset(
            agreements_for_support(
                company=self.company, filters=SupportFilters(**filters.validated_data)
            )
        )
