"""The one settings module. Every environment difference comes from an environment variable.

See `.env.example` for the full list. With nothing set, the app runs on an SQLite file and a
Celery broker that needs no server (SQLAlchemy over SQLite), so a fresh clone works offline.
"""

import datetime
import secrets
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
# Local state of development runs (SQLite files, mail, SMS, print spool). Created by `make setup`
# (part of run, check and test) and `run_all`, not here: importing the settings writes nothing.
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env is a development convenience; tests of the real environment switch it off.
if env.bool("DJANGO_READ_ENV_FILE", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless switched on: `make run` (the development command) and the test settings set it.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The committed development secrets: usable only with DEBUG on, refused in production.
DEVELOPMENT_SECRETS = frozenset({"dev-only-insecure-key-change-me", "dev-only-network-secret"})
# Shortest production secret accepted (Django's deploy check wants 50 characters for the key).
MIN_PRODUCTION_SECRET_LENGTH = 32


def _secret(name: str, development_value: str) -> str:
    """A secret from the environment; production refuses a missing, committed or short one."""
    if DEBUG:
        return env(name, default=development_value)
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"Set the {name} environment variable: DJANGO_DEBUG is off (production). For "
            "development set DJANGO_DEBUG=1, as `make run` does."
        )
    if value in DEVELOPMENT_SECRETS or len(value) < MIN_PRODUCTION_SECRET_LENGTH:
        raise ImproperlyConfigured(
            f"{name} must be a real secret in production (DJANGO_DEBUG=0): at least "
            f"{MIN_PRODUCTION_SECRET_LENGTH} characters and not a committed development value."
        )
    return value


SECRET_KEY = _secret("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Shared secret of the signed inbound agreement endpoint for a real network (never the simulator's).
NETWORK_WEBHOOK_SECRET = _secret("NETWORK_WEBHOOK_SECRET", "dev-only-network-secret")
# Which delivery network adapter to use; `simulated` is the local, database-backed network of the
# `simulator` app, which is installed and routed only then (DESIGN §2).
NETWORK_ADAPTER = env("NETWORK_ADAPTER", default="simulated")
SIMULATOR_INSTALLED = NETWORK_ADAPTER == "simulated"
# The simulator signs the agreement events it sends us with its own secret; by default a fresh
# one per process (it delivers in-process, so signer and verifier share it).
SIMULATOR_WEBHOOK_SECRET = env("SIMULATOR_WEBHOOK_SECRET", default="") or secrets.token_hex(32)
# The operator (AutoInvoice / Maventa AutoXChange REST API), NETWORK_ADAPTER=maventa. Each
# company's account (company UUID, user API key) is saved on Settings -> Operator connection;
# the user API key is encrypted at rest with OPERATOR_CREDENTIALS_KEY (Fernet keys, comma
# separated, newest first, for rotation), required in production.
MAVENTA_VENDOR_API_KEY = env("MAVENTA_VENDOR_API_KEY", default="")
MAVENTA_BASE_URL = env("MAVENTA_BASE_URL", default="")  # overrides the environment's host
MAVENTA_TIMEOUT_SECONDS = env.float("MAVENTA_TIMEOUT_SECONDS", default=20.0)
OPERATOR_CREDENTIALS_KEY = (
    env("OPERATOR_CREDENTIALS_KEY", default="") if DEBUG else env("OPERATOR_CREDENTIALS_KEY")
)
# Agreement-request SMS: through the (simulated) network by default; console/file in development.
SMS_BACKEND = env("SMS_BACKEND", default="agreements.sms.NetworkSmsBackend")
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=VAR_DIR / "sms")
# Public base URL used in links sent by email/SMS (terms acceptance, agreement requests).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Simulated network: seconds until it confirms a Norwegian (AutoInvoice B2C) / Swedish (B2CSE)
# activation. The real networks take up to one working day / one week.
SIMULATED_ACTIVATION_DELAY_SECONDS = env.int("SIMULATED_ACTIVATION_DELAY_SECONDS", default=60)
SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = env.int(
    "SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS", default=120
)
# Simulated network, for failure tests (a worker subprocess is started with them):
# SIMULATED_NETWORK_FAULT=timeout_after_accept makes every delivery time out after the network
# took it; SIMULATED_NETWORK_DELAY_MS makes every delivery (and status call) take that long.
SIMULATED_NETWORK_FAULT = env("SIMULATED_NETWORK_FAULT", default="")
SIMULATED_NETWORK_DELAY_MS = env.int("SIMULATED_NETWORK_DELAY_MS", default=0)
# A company's user API key for `manage.py connect_operator` (read from the environment, never
# from the command line, so it stays out of shell history and process lists).
MAVENTA_API_KEY = env("MAVENTA_API_KEY", default="")
# How long the one-time link to accept the AutoInvoice B2C terms of service stays valid.
B2CNO_TERMS_LINK_MAX_AGE_SECONDS = env.int(
    "B2CNO_TERMS_LINK_MAX_AGE_SECONDS", default=7 * 24 * 3600
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Registers OpClass for index expressions (the trigram search indexes); inert on SQLite.
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "b2cportal.network",
    "b2cportal.audit",
    "b2cportal.companies",
    "b2cportal.customers",
    "agreements",
    "invoices",
    "routing",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "billing",
    "b2cportal.webhooks",
    *(["simulator"] if SIMULATOR_INSTALLED else []),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "b2cportal.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "b2cportal.audit.context.AuditContextMiddleware",
    "b2cportal.companies.middleware.CurrentCompanyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "b2cportal.urls"
WSGI_APPLICATION = "b2cportal.wsgi.application"
ASGI_APPLICATION = "b2cportal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "b2cportal.companies.context_processors.tenancy",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'b2cportal.sqlite3'}")
}
# 0 (a connection per request) suits the development server; production sets about 60: opening a
# PostgreSQL connection costs 10-20 ms of every request on a busy machine (README, Production).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# A kept connection the database dropped is noticed before the request uses it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL prepares the statements of the few hot paths that ask for it (`b2cportal.db.
# prepared_statements`); false for a connection pooler in transaction mode that cannot keep
# prepared statements (README, Configuration).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins lock the username (whatever address the attempts come from) and, separately,
# the client address (whatever usernames it tries), each for a short cool-off only: a locked
# account unlocks by itself, so nobody can lock someone out for good.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The client address: REMOTE_ADDR unless a reverse proxy in front sets a forwarding header.
# Behind N proxies set AXES_PROXY_COUNT=N and AXES_META_PRECEDENCE_ORDER=HTTP_X_FORWARDED_FOR
# (django-ipware reads the header from the right, skipping the proxies). See README.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = tuple(
    env.list("AXES_META_PRECEDENCE_ORDER", default=["REMOTE_ADDR"])
)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
# A 500-line invoice posts 8 fields per line (4,000+), and the credit-note page one per line of
# invoices of up to 5,000 lines; the default of 1,000 rejected about 120 lines and lost the input.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
LANGUAGES = [("en", _("English")), ("nb", _("Norwegian Bokmål")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates in ISO style (b2cportal/formats/en), not Django's US defaults.
FORMAT_MODULE_PATH = ["b2cportal.formats"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic writes here; gunicorn + whitenoise serve it (README: Production).
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# In development whitenoise serves straight from the finders; production serves STATIC_ROOT.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# The print service picks PDFs up from here (one folder per day, with a batch manifest).
PRINT_SPOOL_DIR = env.path("PRINT_SPOOL_DIR", default=VAR_DIR / "print-spool")
# Delivery outbox: first wait after a transient failure (then 3x each time, at most 8 attempts),
# and how often deliveries the network accepted but has not confirmed are asked about again.
ROUTING_RETRY_BASE_SECONDS = env.int("ROUTING_RETRY_BASE_SECONDS", default=10)
ROUTING_SENT_POLL_SECONDS = env.int("ROUTING_SENT_POLL_SECONDS", default=300)
# Transient failures are retried at most this many attempts in all.
ROUTING_MAX_ATTEMPTS = 8
# The sweeper's limits: older than this, a `queued` row was lost by the broker...
ROUTING_QUEUED_GRACE_SECONDS = 60
# ...and a `claimed` row by its worker (set below, after the task time limit it depends on).

# Shared by every process when set (e.g. redis://127.0.0.1:6379/1), so API throttling counts
# per key across web workers; the default is per process.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# The REST API for ERPs (api/): per-company API keys, JSON only, errors in the request's
# language, cursor pagination. The browsable docs are drf-spectacular's Swagger UI at /api/docs/.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": 50,
}
# Requests per API key; "N/second|minute|hour|day".
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="1200/minute")
# How long a stored Idempotency-Key answer is replayed, and how long a request with the key of
# one still running waits for it before answering 409.
API_IDEMPOTENCY_TTL_HOURS = env.int("API_IDEMPOTENCY_TTL_HOURS", default=24)
API_IDEMPOTENCY_WAIT_SECONDS = env.float("API_IDEMPOTENCY_WAIT_SECONDS", default=10.0)
SPECTACULAR_SETTINGS = {
    "TITLE": "b2cportal API",
    "DESCRIPTION": (
        "Customers, invoices, delivery status, agreements and billing for ERPs. Authenticate "
        "with `Authorization: Api-Key <key>` (Settings → API keys). Every POST honours an "
        "`Idempotency-Key` header. Errors are JSON with field paths, in the language of "
        "`Accept-Language` (nb, sv, en)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Assets served from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_common_parts",
    ],
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email goes where EMAIL_URL says (smtp+tls://user:password@host:587; filemail:///path keeps
# writing files on purpose). Without it, development writes every email as a file to var/mail/
# (nothing leaves the machine), and production refuses to start rather than file customers'
# mail away silently.
EMAIL_FILE_PATH: Path | str | None = None
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
else:
    raise ImproperlyConfigured(
        "Set the EMAIL_URL environment variable: DJANGO_DEBUG is off (production), and without it "
        "every email (agreement requests, invoices, password resets) would be written to a file "
        "on this server instead of being sent. For example "
        "EMAIL_URL=smtp+tls://user:password@mail.example.com:587; EMAIL_URL=filemail:///path "
        "writes files on purpose."
    )
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="b2cportal <no-reply@b2cportal.local>")

# Official compiled EN 16931 and Peppol BIS 3 rules (XSLT 2.0); empty disables rule checks.
EINVOICE_RULES_DIR = env("EINVOICE_RULES_DIR", default="")
# Without the rules, release refuses (fails closed) unless this explicitly allows XSD-only
# checks; `check --deploy` warns while it is on.
EINVOICE_ALLOW_XSD_ONLY = env.bool("EINVOICE_ALLOW_XSD_ONLY", default=False)
# The TrueType fonts the PDFs embed (Unicode: Sámi, every Nordic letter, €, typographic quotes).
# Debian's fonts-dejavu-core, installed by `make fonts` (part of `make run` and `make test`).
PDF_FONT_DIR = env.path("PDF_FONT_DIR", default="/usr/share/fonts/truetype/dejavu")

CELERY_BROKER_URL = env(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
ROUTING_CLAIM_STALE_SECONDS = CELERY_TASK_TIME_LIMIT + 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers reconnect to a lost broker for ever; a web request publishing while the broker is down
# gives up after one short attempt (b2cportal.queueing: the sweepers queue the work later).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis only: the embedded SQLAlchemy broker hands these options to create_engine(), which
    # refuses unknown keywords (beat could then publish nothing under `make run`).
    CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] = CELERY_BROKER_CONNECTION_TIMEOUT
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Every periodic task, in one place (beat reads this; each task is a thin call of a service).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "poll-activations": {
        "task": "b2cportal.companies.tasks.poll_activations",
        "schedule": 30.0,
    },
    "agreements-jtta-weekly": {
        "task": "agreements.tasks.check_efaktura_directory_weekly",
        "schedule": 7 * 24 * 3600,
    },
    "agreements-request-sweeper": {
        "task": "agreements.tasks.sweep_agreement_requests",
        "schedule": 5 * 60,
    },
    "webhooks-dispatch-due": {
        "task": "b2cportal.webhooks.tasks.dispatch_due_webhooks_task",
        "schedule": 15.0,
    },
    "billing-sweep-batches": {
        "task": "billing.tasks.sweep_batches_task",
        "schedule": 60.0,
    },
    "routing-sweep-deliveries": {
        "task": "routing.tasks.sweep_deliveries",
        "schedule": 30.0,
    },
    "routing-release-active-holds": {
        "task": "routing.tasks.release_active_holds",
        "schedule": 60.0,
    },
    "api-purge-idempotency-records": {
        "task": "api.tasks.purge_idempotency_records",
        "schedule": 3600.0,
    },
    "routing-expire-holds": {
        "task": "routing.tasks.expire_holds",
        "schedule": 300.0,
    },
    # Operator-routed mode (NETWORK_ADAPTER=maventa): poll PENDING invoices at the operator, and a
    # daily list of its SENT invoices as the backstop the operator advises. No-ops otherwise.
    "routing-poll-operator": {
        "task": "routing.tasks.poll_operator_deliveries_task",
        "schedule": env.float("OPERATOR_POLL_SECONDS", default=60.0),
    },
    "routing-reconcile-operator-daily": {
        "task": "routing.tasks.reconcile_operator_invoices_task",
        "schedule": 24 * 3600.0,
    },
}

# Production hardening (on when DEBUG is off). SSL redirect is switchable for TLS-terminating
# proxies that already redirect.
# Trust X-Forwarded-Proto only behind a TLS-terminating proxy that always sets it.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("TRUST_X_FORWARDED_PROTO", default=False)
    else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy (django-csp): scripts, styles, fonts and images only from our own
# static files; no inline scripts, event handlers or style attributes (templates use
# static/js/app.js and CSS classes instead), no framing, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # National identity numbers are masked in every line (b2cportal.log_masking).
    "formatters": {"masked": {"()": "b2cportal.log_masking.MaskingFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "masked"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
# Outbound webhooks go to https:// URLs only, unless this is on (development, tests).
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=DEBUG)
