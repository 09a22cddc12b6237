"""Settings → API keys: administrators create, name, scope and revoke the company's keys."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from b2cportal.companies.permissions import (
    ADMINISTRATORS,
    ANY_ROLE,
    company_member_required,
    has_role,
)

from .forms import ApiKeyForm
from .selectors import api_keys_of
from .services import ApiKeyError, create_api_key, revoke_api_key


@never_cache
@company_member_required(roles=ADMINISTRATORS)
def api_key_list(request):
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            api_key, new_key = create_api_key(
                company=request.company,
                acting_user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except ApiKeyError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("API key “%(name)s” created.") % {"name": api_key.name})
            form = ApiKeyForm()
    # The new key is in this response only: it is stored hashed and cannot be shown again.
    return render(
        request,
        "api/api_keys.html",
        {"form": form, "keys": api_keys_of(company=request.company), "new_key": new_key},
        status=400 if form.errors else 200,
    )


@company_member_required(roles=ANY_ROLE)
def api_key_revoke(request, pk: int):
    """GET asks for confirmation (revoking cannot be undone); POST revokes."""
    # Look the key up first, so another company's id is "not found" for every role.
    api_key = get_object_or_404(api_keys_of(company=request.company), pk=pk)
    if not has_role(request, ADMINISTRATORS):
        raise PermissionDenied
    if request.method != "POST":
        return render(request, "api/api_key_revoke.html", {"key": api_key})
    revoke_api_key(api_key=api_key, acting_user=request.user)
    messages.success(request, _("API key “%(name)s” revoked.") % {"name": api_key.name})
    return redirect("api_keys:list")
