"""`Authorization: Api-Key <key>`: the request acts as the key's company and its creator."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from b2cportal.audit import context as audit_context
from b2cportal.companies.models import Membership

from . import services

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate with a company API key; `request.auth` is the `ApiKey`.

    The key's creator is `request.user` (the acting user recorded by the services). A key whose
    creator was deactivated or left the company stops working with them.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _sep, raw = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        raw = raw.strip()
        if not raw:
            raise exceptions.AuthenticationFailed(_("The API key is missing."))
        api_key = services.key_for(raw)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("The API key is not valid or was revoked."))
        user = api_key.created_by
        if (
            user is None
            or not user.is_active
            or not Membership.objects.filter(
                user_id=user.pk, company_id=api_key.company_id
            ).exists()
        ):
            raise exceptions.AuthenticationFailed(
                _("The person who created this API key no longer has access to the company.")
            )
        services.touch_api_key(api_key=api_key)
        # What this request changes is recorded as done through the key (source: API).
        audit_context.use_api_key(api_key_id=api_key.pk, name=api_key.name)
        # The screens read the tenant from the request; the API's tenant is the key's company.
        request._request.company = api_key.company
        return user, api_key

    def authenticate_header(self, request) -> str:
        # Makes a missing key a 401 with WWW-Authenticate, not a 403.
        return KEYWORD
