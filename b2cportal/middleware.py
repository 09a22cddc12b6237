"""Project-wide request checks that no single app owns."""

from __future__ import annotations

from django.core.exceptions import BadRequest


class RejectNulBytesMiddleware:
    """Answer 400 to a NUL character in the query string or in form fields.

    No screen accepts NUL, and PostgreSQL refuses it in text: without this a NUL typed into any
    filter or search reached the database and answered 500. Uploaded files are not inspected.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request.GET) or (request.method == "POST" and _has_nul(request.POST)):
            raise BadRequest("NUL character in the request")
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())
