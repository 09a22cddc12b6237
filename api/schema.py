"""OpenAPI additions: the API-key security scheme, Idempotency-Key, Accept-Language, errors."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .errors import STATUS_DOCS


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Api-Key <key>`. Administrators create keys under Settings → API keys, with "
                "the scopes read, write and send; the key is shown once."
            ),
        }


ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "code", "detail", "errors"],
    "properties": {
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string", "description": "In the request's language."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {
                        "type": "string",
                        "nullable": True,
                        "description": "Path of the input, e.g. `lines[0].vat_rate`; null for "
                        "the request as a whole.",
                    },
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
ACCEPT_LANGUAGE = {
    "in": "header",
    "name": "Accept-Language",
    "required": False,
    "schema": {"type": "string", "enum": ["nb", "sv", "en"]},
    "description": "Language of messages (errors, labels).",
}
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": (
        "Any unique string. The same key and body return the first answer again (header "
        "`Idempotent-Replayed: true`); the same key with another body is 409."
    ),
}
# Which error answers each kind of operation documents.
READ_ERRORS = (401, 403, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 422, 429)


def add_common_parts(result, generator, request, public):
    """drf-spectacular post-processing hook: headers and error answers on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            parameters = operation.setdefault("parameters", [])
            parameters.append(ACCEPT_LANGUAGE)
            if method == "post":
                parameters.append(IDEMPOTENCY_KEY)
            codes = READ_ERRORS if method == "get" else WRITE_ERRORS
            responses = operation.setdefault("responses", {})
            for code in codes:
                if code == 404 and "{" not in path and method == "get":
                    continue
                responses.setdefault(
                    str(code),
                    {
                        "description": STATUS_DOCS[code],
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result
