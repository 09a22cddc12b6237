"""Role checks for views. Roles come from the user's membership in the current company."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from .models import Role

ANY_ROLE = (Role.ADMINISTRATOR, Role.ACCOUNTANT, Role.SUPPORT)
EDITORS = (Role.ADMINISTRATOR, Role.ACCOUNTANT)
ADMINISTRATORS = (Role.ADMINISTRATOR,)


def company_member_required(roles=ANY_ROLE):
    """Require a logged-in member of the current company with one of `roles` (403 otherwise).

    A logged-in user without any company gets a page saying so instead of an error.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.membership is None:
                return render(request, "no_company.html", status=403)
            if request.membership.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def has_role(request, roles) -> bool:
    return request.membership is not None and request.membership.role in roles
