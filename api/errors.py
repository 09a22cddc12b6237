"""One JSON error format for the whole API, in the request's language (Accept-Language).

```
{"status": 400, "code": "invalid", "detail": "The request has errors.",
 "errors": [{"field": "lines[0].vat_rate", "code": "invalid", "message": "…"}]}
```
`field` is the path of the input the message belongs to (null for the request as a whole).
The apps' domain errors are mapped here, so views stay thin and a refusal is never a 500:
input refused by a service → 400, a business rule → 422, a state conflict → 409.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from agreements.services import AgreementError
from b2cportal.customers.services import CustomerError
from billing.services import BatchConflict, BatchError
from invoices.services import DocumentRefused, InvoiceError
from routing.services import RoutingError

from .services import ApiKeyError, IdempotencyConflict


def _join(path: str, key) -> str:
    if isinstance(key, int):
        # ListSerializer reports the rows that failed by their index.
        return f"{path}[{key}]"
    if key in ("non_field_errors", "__all__"):
        return path
    return f"{path}.{key}" if path else key


def flatten(detail, path: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            errors.extend(flatten(value, _join(path, key)))
        return errors
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [error for item in detail for error in flatten(item, path)]
        errors = []
        for index, item in enumerate(detail):
            errors.extend(flatten(item, f"{path}[{index}]"))
        return errors
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": path or None, "code": code, "message": str(detail)}]


def error_response(
    status_code: int, code: str, detail: str, errors: list[dict] | None = None, headers=None
) -> Response:
    body = {
        "status": status_code,
        "code": code,
        "detail": detail,
        "errors": errors or [{"field": None, "code": code, "message": detail}],
    }
    return Response(body, status=status_code, headers=headers)


def _domain_error(exc: Exception) -> Response | None:
    if isinstance(exc, CustomerError | ApiKeyError):
        return error_response(
            400,
            "invalid",
            _("The request has errors."),
            [{"field": exc.field, "code": "invalid", "message": exc.message}],
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": None if field == "__all__" else field, "code": "invalid", "message": m}
                for field, messages in exc.message_dict.items()
                for m in messages
            ]
        else:
            errors = [{"field": None, "code": "invalid", "message": m} for m in exc.messages]
        return error_response(400, "invalid", _("The request has errors."), errors)
    if isinstance(exc, DocumentRefused):
        return error_response(
            422,
            "document_refused",
            _("The document was refused."),
            [
                {"field": p.field, "code": "rule_refused", "message": p.message}
                for p in exc.problems
            ],
        )
    if isinstance(exc, BatchConflict):
        return error_response(409, "conflict", str(exc))
    if isinstance(exc, BatchError):
        return error_response(400, "invalid", str(exc))
    if isinstance(exc, InvoiceError):
        message = str(exc)
        field = getattr(exc, "field", None)
        return error_response(
            422,
            "rule_refused",
            message,
            [{"field": field, "code": "rule_refused", "message": message}],
        )
    if isinstance(exc, RoutingError | AgreementError):
        return error_response(409, "conflict", str(exc))
    if isinstance(exc, IdempotencyConflict):
        if exc.reason == "mismatch":
            return error_response(
                409,
                "idempotency_key_reused",
                _(
                    "This Idempotency-Key was already used with a different request. Use a new "
                    "key for a new request."
                ),
            )
        return error_response(
            409,
            "idempotency_key_in_progress",
            _("A request with this Idempotency-Key is still being processed; retry shortly."),
            headers={"Retry-After": "1"},
        )
    return None


def exception_handler(exc: Exception, context) -> Response | None:
    """DRF's handler plus our domain errors, all in the one format above."""
    response = _domain_error(exc)
    if response is not None:
        return response
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)  # DRF answers only those
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        detail = _("The request has errors.")
        code = "invalid"
    else:
        detail = str(exc.detail) if not isinstance(exc.detail, dict | list) else ""
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        errors = flatten(exc.detail)
        detail = detail or (errors[0]["message"] if errors else "")
    response.data = {
        "status": response.status_code,
        "code": code,
        "detail": detail,
        "errors": errors,
    }
    return response


def bad_request(request, exception=None):
    """handler400: a request refused before any view (e.g. a NUL byte) is JSON under /api/."""
    if not request.path.startswith("/api/"):
        from django.views.defaults import bad_request as html_bad_request

        return html_bad_request(request, exception)
    detail = _("The request has errors.")
    return JsonResponse(
        {
            "status": 400,
            "code": "bad_request",
            "detail": detail,
            "errors": [{"field": None, "code": "bad_request", "message": detail}],
        },
        status=400,
    )


def not_found(request, *args, **kwargs) -> JsonResponse:
    """A JSON 404 for paths under /api/v1/ that match no endpoint."""
    detail = str(exceptions.NotFound.default_detail)
    return JsonResponse(
        {
            "status": 404,
            "code": "not_found",
            "detail": detail,
            "errors": [{"field": None, "code": "not_found", "message": detail}],
        },
        status=404,
    )


STATUS_DOCS = {
    status.HTTP_400_BAD_REQUEST: "invalid input: `errors` names each field path",
    status.HTTP_401_UNAUTHORIZED: "no, an unknown or a revoked API key",
    status.HTTP_403_FORBIDDEN: "the key lacks the scope the action needs",
    status.HTTP_404_NOT_FOUND: "no such object in the key's company",
    status.HTTP_409_CONFLICT: "state conflict, or an Idempotency-Key reused with another body",
    status.HTTP_422_UNPROCESSABLE_ENTITY: "a business rule refused the operation",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled: too many requests with this key",
}
