"""Who may use which simulator page.

Every page needs a login. The network's own side (activations, registers, the eFaktura
directory, FMI onboarding, OCR payments) plays the outside world for every company at once, so
it is for superusers and holders of `simulator.operate_network` ("simulator operator") only. A
company's users see only what the network holds for their own company (received documents, the
print spool, agreement requests), through `request.company`.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

OPERATE_NETWORK = "simulator.operate_network"


def is_operator(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(OPERATE_NETWORK))


def operator_required(view):
    """Logged in, and a superuser or simulator operator (403 otherwise)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_operator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def company_required(view):
    """Logged in with a current company (the middleware's `request.company`); 404 without."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if getattr(request, "company", None) is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
