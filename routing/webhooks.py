"""The operator's notification hook: an unguessable per-company URL that only triggers a poll.

The payload and signature of the operator's webhooks are not public, so nothing in the body is
believed: the token in the URL finds the company, and the delivery state is read from the
operator's API by the poll. An unknown token is a 404; anything else is accepted (202) so the
operator does not retry forever.
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services


@csrf_exempt
@require_POST
def operator_webhook(request, token: str):
    if len(token) > 100 or not services.operator_webhook_hint(
        webhook_token=token, body=request.body[:65536]
    ):
        return HttpResponseNotFound()
    return HttpResponse(status=202)
