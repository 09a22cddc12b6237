"""Searches that can hold a national identity number never travel in a URL.

Proxies and access logs keep query strings. List screens whose search takes a national ID
(customers, agreements) submit their filters by POST; the filters are kept in the session under
a random token and the browser is redirected to `?s=<token>` (POST-redirect-GET), so paging,
reloading and the CSV export carry only the token. Plain GET filters without a search term
(e.g. the agreement status badges) keep working.
"""

from __future__ import annotations

import secrets

from django.http import HttpResponseRedirect, QueryDict

SESSION_KEY = "search_stash"
# Searches kept per screen; older tokens fall back to the unfiltered list.
MAX_STASHED = 20
# Fields never stored: the form's CSRF token and the submit button.
_NOT_FILTERS = ("csrfmiddlewaretoken", "page", "s")


def stash_search(request, namespace: str, *, target: str | None = None) -> HttpResponseRedirect:
    """Keep the POSTed filters in the session; redirect to `target` (default: this path)."""
    data = request.POST.copy()
    for name in _NOT_FILTERS:
        data.pop(name, None)
    token = secrets.token_urlsafe(9)
    stash = request.session.get(SESSION_KEY, {})
    entries = dict(stash.get(namespace, {}))
    entries[token] = data.urlencode()
    while len(entries) > MAX_STASHED:
        entries.pop(next(iter(entries)))
    stash[namespace] = entries
    request.session[SESSION_KEY] = stash
    return HttpResponseRedirect(f"{target or request.path}?s={token}")


def search_params(request, namespace: str) -> tuple[QueryDict, str]:
    """The screen's filters and the query string its links carry (without `page`)."""
    token = request.GET.get("s", "")
    if token:
        stored = request.session.get(SESSION_KEY, {}).get(namespace, {}).get(token)
        return QueryDict(stored or ""), f"s={token}" if stored is not None else ""
    params = request.GET.copy()
    params.pop("page", None)
    return request.GET, params.urlencode()
