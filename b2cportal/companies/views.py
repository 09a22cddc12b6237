from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .middleware import SESSION_BRANCH_KEY, SESSION_COMPANY_KEY
from .permissions import company_member_required


@company_member_required()
def home(request):
    return render(request, "home.html")


def _back(request):
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@login_required
@require_POST
def switch_company(request):
    """Make another of the user's companies current; unknown ids are refused, not trusted."""
    wanted = request.POST.get("company")
    membership = next((m for m in request.memberships if str(m.company_id) == wanted), None)
    if membership is None:
        messages.error(request, _("You do not have access to that company."))
        return _back(request)
    request.session[SESSION_COMPANY_KEY] = membership.company_id
    request.session.pop(SESSION_BRANCH_KEY, None)
    messages.success(request, _("Current company: %(name)s") % {"name": membership.company.name})
    return redirect("home")


@login_required
@require_POST
def switch_branch(request):
    wanted = request.POST.get("branch")
    branch = next((b for b in request.branches if str(b.pk) == wanted), None)
    if branch is None:
        messages.error(request, _("That branch does not belong to the current company."))
        return _back(request)
    request.session[SESSION_BRANCH_KEY] = branch.pk
    messages.success(request, _("Current branch: %(name)s") % {"name": str(branch)})
    return _back(request)
