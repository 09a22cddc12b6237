"""A fake of the operator's REST API (Maventa / AutoInvoice AutoXChange) for tests and demos.

A real HTTP server on a loopback port (werkzeug, threaded). It keeps state like the operator:
companies and their API keys, tokens that expire, invoices by id (statuses that advance from
PENDING to DELIVERED or FAILED, with actions), re-routing, the B2CSE agreement, the B2CNO
service state, notification subscriptions (webhooks it can fire), consumer and receiver
lookups. Tests can make it misbehave: answer 401, 429 or 503 with `Retry-After`, be down for a
while, or accept an invoice and then hang past the client's timeout.

Every request it receives and every response it returns is validated against the operator's
published OpenAPI document (`shared/operator/maventa-autoxchange-0.85.550.yaml`) with
`openapi-core`; any mismatch is recorded in `violations` (and the request answered 400), and
the `fake_operator` fixture fails the test when there is one. So a client that drifts from the
contract fails its tests, and so does a fake that drifts from it.

What the document does not say (see shared/operator/README.md "Not public") is decided here and
kept deliberately unlike us: the operator's invoice id is its own UUID, not ours; a repeated
`uuid` returns the first invoice; the webhook body is a guess and unsigned.

Run it alone for `make run`: `python -m tests.network.fake_operator --port 8123`.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import secrets
import threading
import time
import uuid as uuidlib
import warnings
import zipfile
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import yaml
from lxml import etree
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import PathNotFound
from openapi_schema_validator import OAS30Validator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SPEC_PATH = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "operator"
    / "maventa-autoxchange-0.85.550.yaml"
)
WEBHOOK_EVENTS = (
    "DOCUMENTS.INVOICE.DELIVERED",
    "DOCUMENTS.INVOICE.DELIVERY_CONFIRMED",
    "DOCUMENTS.INVOICE.FAILED",
)


def spec_path() -> Path:
    for candidate in (SPEC_PATH, Path("../shared/operator") / SPEC_PATH.name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"The operator's OpenAPI document is missing: {SPEC_PATH}")


@cache
def load_spec() -> dict:
    return yaml.safe_load(spec_path().read_text())


# openapi-core checks http and apiKey security schemes, not oauth2: the fake checks the bearer
# token itself (`FakeOperator._authenticate`).
warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)


def openapi_for(base_url: str) -> OpenAPI:
    """The contract with its server set to `base_url`.

    Two things about the document itself: its only server is protocol-relative
    (`//ax-stage.maventa.com`), so requests are matched against our base URL instead; and it
    does not pass OpenAPI 3.0 validation (`GET /v1/invoices/{id}/actions`, parameter `type`, has
    `default: ''` outside its enum), so the spec check is switched off and only requests and
    responses are validated.
    """
    spec = deepcopy(load_spec())
    spec["servers"] = [{"url": base_url}]
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def error_body(code: str, message: str, *details: str) -> dict:
    return {"code": code, "message": message, "details": list(details)}


def now_iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeCompany:
    uuid: str
    api_key: str
    name: str = "Fjordkraft Demo AS"
    bid: str = "923609016"
    country: str = "NO"
    b2cno_status: str = "FREE"
    b2cse_agreement: dict | None = None
    b2cse_status: str = "PENDING"  # what GET answers after a POST (values are not public)
    notifications: list[dict] = field(default_factory=list)
    b2cno_consumers: list[dict] = field(default_factory=list)


@dataclass
class FakeInvoice:
    id: str
    company: str
    uuid: str
    number: str
    form: dict
    created_at: datetime
    status: str = "PENDING"
    actions: list[dict] = field(default_factory=list)
    deliver_at: datetime | None = None
    outcome: tuple[str, str, str] | None = None  # (status, channel, message) once due
    file_names: list[str] = field(default_factory=list)

    def as_json(self, *, with_actions: bool = True) -> dict:
        body = {
            "id": self.id,
            "status": self.status,
            "number": self.number,
            "reference": self.uuid,
            "created_at": now_iso(self.created_at),
            "source_format": self.form.get("format", "PEPPOLBIS30"),
            "sum": 100.0,
            "sum_tax": 125.0,
            "currency": "NOK",
            "origin": "INTERNAL",
            "recipient": {"name": "", "country": ""},
            "files": [
                {"id": f"{self.id}-{i}", "filename": n} for i, n in enumerate(self.file_names)
            ],
        }
        if with_actions:
            body["actions"] = list(self.actions)
        return body


@dataclass
class Misbehaviour:
    """One planned failure: answer `status` to the next `count` matching requests."""

    status: int
    count: int
    path_prefix: str = ""
    method: str = ""
    retry_after: str | None = None
    code: str = "service_unavailable"
    message: str = "Service temporarily unavailable"


class FakeOperator:
    """The fake operator's state and its WSGI app. Start with `start()`, stop with `stop()`."""

    def __init__(self, *, token_lifetime: int = 3600, deliver_after: float = 0.0):
        self.lock = threading.RLock()
        self.companies: dict[str, FakeCompany] = {}
        self.tokens: dict[str, tuple[str, datetime]] = {}
        self.invoices: dict[str, FakeInvoice] = {}
        self.token_lifetime = token_lifetime
        self.deliver_after = deliver_after
        self.misbehaviours: list[Misbehaviour] = []
        self.down_until = 0.0
        self.down_retry_after = "1"
        self.hang_after_accept = 0
        self.hang_seconds = 5.0
        self.failing_recipients: dict[str, str] = {}  # ssn/email/eia -> error message
        self.mailbox_for_ssn: dict[str, str] = {}  # Swedish ssn -> "Kivra"/"Billo" (in words)
        self.consumers: dict[str, str] = {}  # NO ssn -> yes2all route status
        self.peppol_receivers: set[str] = set()  # "0192:923609016"
        self.webhook_calls: list[tuple[str, dict, int]] = []
        # Contract bookkeeping.
        self.validated_requests = 0
        self.validated_responses = 0
        self.operations: Counter[str] = Counter()
        self.status_codes: Counter[int] = Counter()
        self.violations: list[str] = []
        self.uuid_posts: Counter[str] = Counter()
        self.token_requests = 0
        self._stopping = threading.Event()
        self._server = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.openapi: OpenAPI | None = None
        self._error_validator = OAS30Validator(
            load_spec()["components"]["schemas"]["API_Entities_Error"]
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeOperator:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self._server = make_server(host, port, self.wsgi_app, threaded=True)
        self.base_url = f"http://{host}:{self._server.server_port}"
        self.openapi = openapi_for(self.base_url)
        # A short poll: stop() waits for the loop to notice, ~50 ms instead of 0.5 s per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- set-up and misbehaviour for tests ---------------------------------------------------

    def add_company(self, **kwargs) -> FakeCompany:
        company = FakeCompany(
            uuid=kwargs.pop("uuid", str(uuidlib.uuid4())),
            api_key=kwargs.pop("api_key", secrets.token_hex(16)),
            **kwargs,
        )
        with self.lock:
            self.companies[company.uuid] = company
        return company

    def fail_next(self, status: int, count: int = 1, **kwargs) -> None:
        with self.lock:
            self.misbehaviours.append(Misbehaviour(status=status, count=count, **kwargs))

    def go_down(self, seconds: float, retry_after: str = "1") -> None:
        """Answer 503 with `Retry-After` to everything for `seconds`."""
        self.down_until = time.monotonic() + seconds
        self.down_retry_after = retry_after

    def expire_tokens(self) -> None:
        """Every token handed out so far stops working (the next call gets 401)."""
        with self.lock:
            self.tokens.clear()

    def hang_after_accepting(self, count: int = 1, seconds: float = 5.0) -> None:
        """The next `count` sends are stored, then answered only after `seconds`."""
        self.hang_after_accept = count
        self.hang_seconds = seconds

    def complete(self, invoice_id: str, *, status: str, channel: str = "", message: str = ""):
        """Make an invoice DELIVERED or FAILED now."""
        with self.lock:
            invoice = self.invoices[invoice_id]
            invoice.outcome = (status, channel, message)
            invoice.deliver_at = datetime.now(UTC)
            self._advance(invoice)

    def invoices_with_uuid(self, uuid: str) -> list[FakeInvoice]:
        return [inv for inv in self.invoices.values() if inv.uuid == uuid]

    def fire_webhook(self, invoice_id: str, event: str = "DOCUMENTS.INVOICE.DELIVERED") -> int:
        """POST the (guessed) notification body to every subscriber of the invoice's company."""
        import httpx

        invoice = self.invoices[invoice_id]
        company = self.companies[invoice.company]
        body = {
            "event": event,
            "company_id": company.uuid,
            "invoice_id": invoice.id,
            "sent_at": now_iso(),
        }
        last = 0
        for subscription in company.notifications:
            if event in subscription["events"]:
                response = httpx.post(subscription["destination"], json=body, timeout=10)
                self.webhook_calls.append((subscription["destination"], body, response.status_code))
                last = response.status_code
        return last

    def summary(self) -> str:
        return (
            f"{self.validated_requests} requests and {self.validated_responses} responses "
            f"validated over {len(self.operations)} operations: "
            + ", ".join(f"{op} x{n}" for op, n in sorted(self.operations.items()))
        )

    # --- the WSGI app ------------------------------------------------------------------------

    def wsgi_app(self, environ, start_response):
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        openapi_request = WerkzeugOpenAPIRequest(request)
        try:
            self.openapi.validate_request(openapi_request)
        except PathNotFound:
            self.violations.append(f"{request.method} {request.path}: not in the contract")
            return self._json(error_body("not_found", "No such operation"), 404)
        except Exception as exc:  # every validation error is a contract violation
            detail = f"{exc}: {getattr(exc, '__cause__', '')}"
            self.violations.append(f"request {request.method} {request.path}: {detail}")
            return self._json(error_body("contract_violation", "Invalid request", detail), 400)
        with self.lock:
            self.validated_requests += 1
            operation = self._operation_name(request)
            self.operations[operation] += 1
        response, hang = self._dispatch(request)
        self._validate_response(openapi_request, response)
        self.status_codes[response.status_code] += 1
        if hang:
            self._stopping.wait(hang)
        return response

    def _operation_name(self, request: Request) -> str:
        path = request.path
        for segment in path.split("/"):
            if segment in self.invoices:
                path = path.replace(segment, "{id}")
        return f"{request.method} {path}"

    def _validate_response(self, openapi_request, response: Response) -> None:
        status = response.status_code
        try:
            if status >= 400 and not self._documented(openapi_request, status):
                # The document lists almost no error responses, but its description says any
                # endpoint can answer 400/401/404/5xx with the error body: check that body.
                self._error_validator.validate(json.loads(response.get_data()))
            elif status in (200, 201, 204) and not response.get_data():
                if not self._documented(openapi_request, status):
                    raise AssertionError(f"status {status} is not documented")
            else:
                self.openapi.validate_response(openapi_request, WerkzeugOpenAPIResponse(response))
        except Exception as exc:
            self.violations.append(
                f"response {openapi_request.method.upper()} {openapi_request.path} {status}: {exc}"
                f" {getattr(exc, '__cause__', '')}"
            )
            return
        with self.lock:
            self.validated_responses += 1

    def _documented(self, openapi_request, status: int) -> bool:
        paths = load_spec()["paths"]
        path = openapi_request.path
        for template, operations in paths.items():
            parts, wanted = template.strip("/").split("/"), path.strip("/").split("/")
            if len(parts) == len(wanted) and all(
                p == w or (p.startswith("{") and p.endswith("}"))
                for p, w in zip(parts, wanted, strict=True)
            ):
                operation = operations.get(openapi_request.method.lower())
                if operation and str(status) in operation.get("responses", {}):
                    return True
        return False

    @staticmethod
    def _json(body, status: int = 200, headers: dict | None = None) -> Response:
        return Response(
            json.dumps(body), status=status, content_type="application/json", headers=headers
        )

    def _error(self, status: int, code: str, message: str, *details, headers=None) -> Response:
        return self._json(error_body(code, message, *details), status, headers)

    # --- routing of requests -----------------------------------------------------------------

    def _dispatch(self, request: Request) -> tuple[Response, float]:
        if time.monotonic() < self.down_until:
            return (
                self._error(
                    503,
                    "service_unavailable",
                    "The service is down for maintenance",
                    headers={"Retry-After": self.down_retry_after},
                ),
                0,
            )
        planned = self._planned_failure(request)
        if planned is not None:
            return planned, 0
        path, method = request.path.rstrip("/"), request.method
        if path == "/oauth2/token" and method == "POST":
            return self._token(request), 0
        company = self._authenticate(request)
        if company is None:
            return self._error(
                401, "auth_unauthorized", "Unauthorized: invalid or expired token"
            ), 0
        parts = path.strip("/").split("/")
        if path == "/oauth2/current":
            return self._json(
                {
                    "user": {"id": "user-1", "first_name": "API", "last_name": "User"},
                    "company": {
                        "id": company.uuid,
                        "name": company.name,
                        "bid": company.bid,
                        "country": company.country,
                    },
                    "scopes": ["invoice:send", "invoice:receive", "company:read", "lookup"],
                }
            ), 0
        if path == "/status/authenticated":
            return self._json({"client_id": company.uuid, "expires_at": now_iso()}), 0
        if path == "/v1/invoices" and method == "POST":
            return self._send_invoice(request, company)
        if path == "/v1/invoices" and method == "GET":
            return self._list_invoices(request, company), 0
        if parts[:2] == ["v1", "invoices"] and len(parts) >= 3:
            return self._invoice_operation(request, company, parts[2], parts[3:]), 0
        if path == "/v1/services/b2cno":
            return self._json({"status": company.b2cno_status}), 0
        if path == "/v1/services/b2cno/consumers":
            return self._json(company.b2cno_consumers), 0
        if path == "/v1/services/b2cse/agreement":
            return self._b2cse(request, company), 0
        if path == "/v1/company/notifications":
            return self._notifications(request, company), 0
        if path == "/v1/lookup/consumers":
            return self._lookup_consumer(request), 0
        if path == "/v1/lookup/receivers":
            return self._lookup_receivers(request), 0
        if path == "/v1/lookup/endpoints":
            return self._lookup_endpoints(request), 0
        return self._error(404, "not_found", "The fake operator does not implement this"), 0

    def _planned_failure(self, request: Request) -> Response | None:
        with self.lock:
            for plan in self.misbehaviours:
                if plan.count <= 0:
                    continue
                if plan.method and plan.method != request.method:
                    continue
                if plan.path_prefix and not request.path.startswith(plan.path_prefix):
                    continue
                plan.count -= 1
                headers = {"Retry-After": plan.retry_after} if plan.retry_after else None
                return self._error(plan.status, plan.code, plan.message, headers=headers)
        return None

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        form = request.form
        company = self.companies.get(form.get("client_id", ""))
        if company is None or not secrets.compare_digest(
            company.api_key, form.get("client_secret", "")
        ):
            return self._error(
                401,
                "auth_unauthorized",
                "Invalid client credentials",
                "check the company UUID and API key",
            )
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = (
                company.uuid,
                datetime.now(UTC) + timedelta(seconds=self.token_lifetime),
            )
        return self._json(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime,
                "scope": form.get("scope") or "global company",
            }
        )

    def _authenticate(self, request: Request) -> FakeCompany | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        with self.lock:
            entry = self.tokens.get(header.removeprefix("Bearer "))
            if entry is None or entry[1] <= datetime.now(UTC):
                return None
            return self.companies.get(entry[0])

    # --- invoices ----------------------------------------------------------------------------

    def _send_invoice(self, request: Request, company: FakeCompany) -> tuple[Response, float]:
        upload = request.files.get("file")
        content = upload.read() if upload else b""
        form = {key: request.form.getlist(key) for key in request.form}
        form = {
            key: values
            if len(values) > 1 or key in ("route_order", "disabled_routes")
            else values[0]
            for key, values in form.items()
        }
        try:
            number, file_names = self._read_document(content, upload.filename if upload else "")
        except ValueError as exc:
            return self._error(400, "invalid_parameters", "The file could not be read", str(exc)), 0
        our_uuid = form.get("uuid", "")
        with self.lock:
            if our_uuid:
                self.uuid_posts[our_uuid] += 1
                existing = [
                    inv
                    for inv in self.invoices.values()
                    if inv.uuid == our_uuid and inv.company == company.uuid
                ]
                if existing:
                    return self._json(existing[0].as_json(), 201), 0
            created = datetime.now(UTC)
            invoice = FakeInvoice(
                id=str(uuidlib.uuid4()),
                company=company.uuid,
                uuid=our_uuid,
                number=number,
                form=form,
                created_at=created,
                file_names=file_names,
                deliver_at=created + timedelta(seconds=self.deliver_after),
                actions=[
                    {
                        "type": "CREATED",
                        "key": "action_created",
                        "happened_at": now_iso(created),
                        "message": "Invoice created",
                    }
                ],
            )
            invoice.outcome = self._planned_outcome(invoice, company)
            self.invoices[invoice.id] = invoice
            hang = 0.0
            if self.hang_after_accept > 0:
                self.hang_after_accept -= 1
                hang = self.hang_seconds
        return self._json(invoice.as_json(), 201), hang

    @staticmethod
    def _read_document(content: bytes, filename: str) -> tuple[str, list[str]]:
        """The invoice number from the UBL (cbc:ID), in a plain XML or in a ZIP with a PDF."""
        names = [filename]
        xml = content
        if content[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = archive.namelist()
                xml_names = [n for n in names if n.lower().endswith(".xml")]
                if not xml_names:
                    raise ValueError("the ZIP holds no XML")
                xml = archive.read(xml_names[0])
        try:
            root = etree.fromstring(xml)
        except etree.XMLSyntaxError as exc:
            raise ValueError(f"not XML: {exc}") from exc
        number = root.findtext(
            "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID"
        )
        if not number:
            raise ValueError("no invoice number (cbc:ID)")
        return number, names

    def _planned_outcome(self, invoice: FakeInvoice, company: FakeCompany) -> tuple[str, str, str]:
        form = invoice.form
        for key in ("recipient_ssn", "recipient_email", "recipient_eia"):
            value = form.get(key, "")
            if value and value in self.failing_recipients:
                return ("FAILED", "", self.failing_recipients[value])
        disabled = set(form.get("disabled_routes") or [])
        if form.get("recipient_type") != "consumer":
            return ("DELIVERED", "EINVOICE", "Delivered to Peppol access point")
        ssn = form.get("recipient_ssn", "")
        if company.country == "SE" and ssn and "einvoice" not in disabled:
            mailbox = self.mailbox_for_ssn.get(ssn)
            if mailbox:
                return ("DELIVERED", "EINVOICE", f"Delivered to {mailbox}")
            return ("DELIVERED", "EINVOICE", "Delivered to the consumer's internet bank")
        for route in form.get("route_order") or ["netbank", "email", "print"]:
            if route.startswith("netbank") and ssn and "einvoice" not in disabled:
                if self.consumers.get(ssn) == "RECEIVING":
                    return (
                        "DELIVERED",
                        "EINVOICE",
                        "Delivered to the consumer's online bank (eFaktura)",
                    )
            elif route == "email" and form.get("recipient_email") and "email" not in disabled:
                return ("DELIVERED", "EMAIL", f"Sent by email to {form['recipient_email']}")
            elif route == "print" and "print" not in disabled:
                return ("DELIVERED", "PRINT", "Sent to print")
        return ("FAILED", "", "No route available for the recipient")

    def _advance(self, invoice: FakeInvoice) -> None:
        """PENDING → DELIVERED/FAILED once the planned moment has come."""
        if invoice.status != "PENDING" or invoice.outcome is None:
            return
        if invoice.deliver_at and invoice.deliver_at > datetime.now(UTC):
            return
        status, channel, message = invoice.outcome
        moment = now_iso()
        if status == "DELIVERED":
            key = {"EMAIL": "action_sent_email", "PRINT": "action_sent_print"}.get(
                channel, "action_internal_sent"
            )
            invoice.actions.append(
                {
                    "type": "SENT",
                    "channel": channel,
                    "key": key,
                    "message": message,
                    "happened_at": moment,
                }
            )
            invoice.actions.append(
                {
                    "type": "DELIVERED",
                    "channel": channel,
                    "key": "action_delivered",
                    "message": message,
                    "happened_at": moment,
                }
            )
        else:
            invoice.actions.append(
                {
                    "type": "ERROR",
                    "key": "action_route_failed",
                    "message": message,
                    "happened_at": moment,
                }
            )
        invoice.status = status

    def _company_invoice(self, company: FakeCompany, invoice_id: str) -> FakeInvoice | None:
        invoice = self.invoices.get(invoice_id)
        if invoice is None or invoice.company != company.uuid:
            return None
        self._advance(invoice)
        return invoice

    def _list_invoices(self, request: Request, company: FakeCompany) -> Response:
        args = request.args
        if args.get("direction", "RECEIVED") != "SENT":
            return self._json([])
        ids = set(filter(None, args.get("ids", "").split(",")))
        statuses = set(filter(None, args.get("status", "").split(",")))
        number = args.get("number", "")
        start = args.get("created_at_start")
        start_at = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
        page = int(args.get("page", 1))
        per_page = int(args.get("per_page", 10))
        with self.lock:
            rows = []
            for invoice in self.invoices.values():
                if invoice.company != company.uuid:
                    continue
                self._advance(invoice)
                if ids and invoice.id not in ids:
                    continue
                if statuses and invoice.status not in statuses:
                    continue
                if number and invoice.number != number:
                    continue
                if start_at and invoice.created_at < start_at:
                    continue
                rows.append(invoice)
            rows.sort(key=lambda inv: inv.created_at)
            chosen = rows[(page - 1) * per_page : page * per_page]
            return self._json([inv.as_json(with_actions=False) for inv in chosen])

    def _invoice_operation(self, request, company, invoice_id, rest) -> Response:
        with self.lock:
            invoice = self._company_invoice(company, invoice_id)
            if invoice is None:
                return self._error(404, "not_found", "Invoice not found")
            if not rest and request.method == "GET":
                return self._json(invoice.as_json())
            if rest == ["actions"]:
                return self._json(invoice.actions)
            if rest[:1] == ["reroute"] and request.method == "PUT" and len(rest) == 2:
                if invoice.status != "FAILED":
                    return self._error(
                        400, "invalid_parameters", "Only a failed invoice can be re-routed"
                    )
                body = request.get_json(silent=True) or {}
                channel = {"email": "EMAIL", "print": "PRINT", "einvoice": "EINVOICE"}[rest[1]]
                words = (
                    f"Re-routed by email to {body.get('recipient_email')}"
                    if rest[1] == "email"
                    else "Re-routed to print"
                )
                invoice.actions.append(
                    {
                        "type": "INFO",
                        "key": "action_created",
                        "message": words,
                        "happened_at": now_iso(),
                    }
                )
                invoice.status = "PENDING"
                invoice.outcome = ("DELIVERED", channel, words)
                invoice.deliver_at = datetime.now(UTC) + timedelta(seconds=self.deliver_after)
                return Response(b"", status=200)
        return self._error(404, "not_found", "The fake operator does not implement this")

    # --- services, notifications, lookups ----------------------------------------------------

    def _b2cse(self, request: Request, company: FakeCompany) -> Response:
        if request.method == "POST":
            body = request.get_json()
            if bool(body.get("fui")) != bool(body.get("agreement_id")):
                return self._error(422, "invalid_parameters", "fui and agreement_id go together")
            company.b2cse_agreement = dict(body)
            return Response(b"", status=204)
        if company.b2cse_agreement is None:
            return self._error(404, "not_found", "No B2CSE agreement")
        body = dict(company.b2cse_agreement)
        body["status"] = company.b2cse_status
        return self._json(body)

    def _notifications(self, request: Request, company: FakeCompany) -> Response:
        if request.method == "GET":
            return self._json(company.notifications)
        body = request.get_json()
        subscription = {
            "id": str(uuidlib.uuid4()),
            "destination_type": body["destination_type"],
            "destination": body["destination"],
            "events": list(body["events"]),
        }
        company.notifications.append(subscription)
        return self._json(subscription, 201)

    def _lookup_consumer(self, request: Request) -> Response:
        ssn = request.args.get("ssn", "")
        status = self.consumers.get(ssn, "NOT_RECEIVING") if ssn else "NOT_AVAILABLE"
        return self._json(
            {"reference_id": secrets.token_hex(8), "routes": {"yes2all": {"status": status}}}
        )

    def _lookup_receivers(self, request: Request) -> Response:
        eia = request.args.get("eia", "")
        if eia not in self.peppol_receivers:
            return self._json([])
        scheme, _, endpoint = eia.partition(":")
        return self._json(
            [
                {
                    "eia": eia,
                    "network": "PEPPOL",
                    "identifier": {
                        "scheme": "iso6523-actorid-upis",
                        "eaid_code": scheme,
                        "endpoint_id": endpoint,
                    },
                    "document_types": [{"document_type": "INVOICE"}],
                }
            ]
        )

    def _lookup_endpoints(self, request: Request) -> Response:
        ids = [bid for bid in request.args.get("business_ids", "").split(",") if bid]
        rows = []
        for bid in ids:
            sending = (
                ["PEPPOL"] if any(eia.endswith(f":{bid}") for eia in self.peppol_receivers) else []
            )
            rows.append({"bid": bid, "sending": [*sending, "EMAIL", "PRINT"]})
        return self._json(rows)


DEMO_COMPANIES = (
    # (company UUID at the fake operator, name, organisation number, country): seed_demo's two.
    ("00000000-0000-4000-8000-000000000001", "Fjordkraft Demo AS", "923456783", "NO"),
    ("00000000-0000-4000-8000-000000000002", "Skärgård Demo AB", "5566778899", "SE"),
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake operator for local use.")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--api-key", default="demo-api-key")
    parser.add_argument(
        "--deliver-after",
        type=float,
        default=20.0,
        help="seconds an invoice stays PENDING before it is delivered",
    )
    args = parser.parse_args(argv)
    fake = FakeOperator(deliver_after=args.deliver_after)
    for uuid, name, bid, country in DEMO_COMPANIES:
        fake.add_company(uuid=uuid, api_key=args.api_key, name=name, bid=bid, country=country)
    fake.start(port=args.port)
    print(f"Fake operator on {fake.base_url}, validating against {spec_path()}")
    print(f"  export NETWORK_ADAPTER=maventa MAVENTA_BASE_URL={fake.base_url}")
    print(f"  export MAVENTA_API_KEY={args.api_key}")
    for uuid, name, bid, _country in DEMO_COMPANIES:
        print(f"  python manage.py connect_operator {bid} --company-uuid {uuid} --test  # {name}")
    try:
        while True:
            time.sleep(60)
            if fake.violations:
                print("CONTRACT VIOLATIONS:", *fake.violations, sep="\n  ")
                fake.violations.clear()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
