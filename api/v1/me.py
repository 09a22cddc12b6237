"""`GET /api/v1/me/`: which company and scopes a key has (the first call an ERP makes)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import CompanyAPIView


class MeSerializer(serializers.Serializer):
    company = serializers.CharField()
    country = serializers.CharField()
    organisation_number = serializers.CharField()
    key_name = serializers.CharField()
    key_prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    acting_user = serializers.CharField()


class MeView(CompanyAPIView):
    """The company, scopes and acting user of the API key used (a first call to check a key)."""

    any_scope = True

    @extend_schema(responses=MeSerializer, summary="The key's company, scopes and acting user")
    def get(self, request):
        key = request.auth
        return Response(
            MeSerializer(
                {
                    "company": self.company.name,
                    "country": self.company.country,
                    "organisation_number": self.company.organisation_number,
                    "key_name": key.name,
                    "key_prefix": key.prefix,
                    "scopes": key.scopes,
                    "acting_user": self.acting_user.get_username(),
                }
            ).data
        )
