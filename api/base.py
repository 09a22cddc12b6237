"""What every API view shares: the key's company, the acting user, idempotent POSTs.

To add an endpoint, subclass `CompanyAPIView` or `CompanyViewSet`, scope every queryset with
`self.company`, pass `self.acting_user` to the services, and let the services raise their own
errors (api.errors maps them). Non-GET actions need the write scope unless `scope_by_action`
names another (`{"send": Scope.SEND}`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rest_framework import viewsets
from rest_framework.views import APIView

from b2cportal.companies.models import Branch, Company
from b2cportal.companies.selectors import branches_of

from .idempotency import IdempotentMixin

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .models import ApiKey

    _ViewBase = APIView
else:
    _ViewBase = object


class CompanyMixin(_ViewBase):
    scope_by_action: dict[str, str] = {}

    @property
    def company(self) -> Company:
        return cast("ApiKey", self.request.auth).company

    @property
    def acting_user(self) -> User:
        return cast("User", self.request.user)

    def default_branch(self) -> Branch | None:
        """The company's main office (the branch the screens start on)."""
        return branches_of(company=self.company).first()


class CompanyAPIView(IdempotentMixin, CompanyMixin, APIView):
    pass


class CompanyViewSet(IdempotentMixin, CompanyMixin, viewsets.GenericViewSet):
    pass
