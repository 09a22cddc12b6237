"""The monthly billing report per branch and billing action (the *Billing report* screen)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import CompanyAPIView
from b2cportal.companies.selectors import branches_of
from routing.decision import BillingAction
from routing.selectors import billing_report


class BillingQuerySerializer(serializers.Serializer):
    month = serializers.RegexField(
        r"^\d{4}-\d{2}$",
        help_text="YYYY-MM",
        error_messages={"invalid": _("Enter the month as YYYY-MM, e.g. 2026-11.")},
    )
    branch = serializers.CharField(required=False, max_length=30, help_text="Branch ID")

    def validate_month(self, value: str) -> datetime.date:
        try:
            return datetime.date(int(value[:4]), int(value[5:]), 1)
        except ValueError as exc:
            raise serializers.ValidationError(
                _("Enter the month as YYYY-MM, e.g. 2026-11.")
            ) from exc

    def validate_branch(self, value: str):
        branch = branches_of(company=self.context["company"]).filter(branch_id=value).first()
        if branch is None:
            raise serializers.ValidationError(
                _("No branch with ID %(branch)s in this company.") % {"branch": value}
            )
        return branch


class BillingRowSerializer(serializers.Serializer):
    branch = serializers.CharField(source="branch__branch_id")
    branch_name = serializers.CharField(source="branch__name")
    billing_action = serializers.ChoiceField(BillingAction.choices)
    billing_action_label = serializers.SerializerMethodField()
    count = serializers.IntegerField()

    def get_billing_action_label(self, row) -> str:
        return str(BillingAction(row["billing_action"]).label)


class BillingReportSerializer(serializers.Serializer):
    month = serializers.CharField()
    branch = serializers.CharField(allow_null=True)
    total = serializers.IntegerField()
    rows = BillingRowSerializer(many=True)


class BillingReportView(CompanyAPIView):
    """Billable deliveries completed in one month, per branch and billing action."""

    @extend_schema(
        summary="Monthly billing report",
        parameters=[BillingQuerySerializer],
        responses=BillingReportSerializer,
    )
    def get(self, request):
        query = BillingQuerySerializer(data=request.query_params, context={"company": self.company})
        query.is_valid(raise_exception=True)
        month = query.validated_data["month"]
        branch = query.validated_data.get("branch")
        rows = billing_report(
            company=self.company,
            year=month.year,
            month=month.month,
            branch_id=branch.pk if branch else None,
        )
        return Response(
            BillingReportSerializer(
                {
                    "month": f"{month:%Y-%m}",
                    "branch": branch.branch_id if branch else None,
                    "total": sum(row["count"] for row in rows),
                    "rows": rows,
                }
            ).data
        )
