"""Scopes: read for safe methods, write for changes, send for delivering invoices."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import permissions

from .models import ApiKey, Scope


def required_scope(request, view) -> str:
    """The scope the view names for this action, else read (safe methods) or write."""
    action = getattr(view, "action", None)
    by_action = getattr(view, "scope_by_action", {})
    if action in by_action:
        return by_action[action]
    return Scope.READ if request.method in permissions.SAFE_METHODS else Scope.WRITE


class HasScope(permissions.BasePermission):
    """Only requests authenticated with an API key that has the scope the action needs."""

    def has_permission(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        if getattr(view, "any_scope", False):
            return True
        scope = required_scope(request, view)
        if not api_key.has_scope(scope):
            self.message = _("This API key does not have the “%(scope)s” scope.") % {"scope": scope}
            return False
        return True
