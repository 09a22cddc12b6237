"""Puts the user's current membership, company and branch on the request.

The choice lives in the session (switchable in the navbar, like the ERP's company/branch
selector); a stale or foreign choice silently falls back to the user's first company and its
main office, so a removed membership can never keep access alive.
"""

from __future__ import annotations

from .selectors import branches_of, memberships_of

SESSION_COMPANY_KEY = "current_company_id"
SESSION_BRANCH_KEY = "current_branch_id"


class CurrentCompanyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.memberships = []
        request.company = None
        request.branch = None
        request.branches = []
        if request.user.is_authenticated:
            self._resolve(request)
        return self.get_response(request)

    def _resolve(self, request) -> None:
        memberships = memberships_of(user=request.user)
        if not memberships:
            return
        wanted = request.session.get(SESSION_COMPANY_KEY)
        membership = next((m for m in memberships if m.company_id == wanted), memberships[0])
        request.memberships = memberships
        request.membership = membership
        request.company = membership.company
        # Main office first; the company is already loaded with the membership.
        branches = list(branches_of(company=membership.company))
        for branch in branches:
            branch.company = membership.company
        request.branches = branches
        wanted_branch = request.session.get(SESSION_BRANCH_KEY)
        request.branch = next(
            (b for b in branches if b.pk == wanted_branch), branches[0] if branches else None
        )
