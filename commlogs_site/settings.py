"""Settings for commlogs, all read from the environment here and nowhere else.

Every variable is listed in the README's configuration table. The defaults are safe for
production; `make run` sets what the local demo needs.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Without debug a real secret key is required: a missing one fails at start-up.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-debug-only-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    # Django's admin, on the service's own admin site (communication/admin_site.py).
    "communication.apps.CommlogsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # Ahead of the app, whose login events need to know whether django-axes locked an attempt out.
    "axes",
    # Ahead of DRF's authtoken, so that its `drf_create_token` command hands out tokens that have not expired.
    "communication",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
]

MIDDLEWARE = [
    "commlogs_site.middleware.NeverCachedMiddleware",
    "communication.log_lines.RequestIdMiddleware",
    # Every error under the API's routes as the contract's envelope; an unreachable database as a 503.
    "communication.errors.ErrorEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "commlogs_site.middleware.StaticFilesMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out admin login with AXES_LOCKOUT_CALLABLE.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "commlogs_site.urls"
WSGI_APPLICATION = "commlogs_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
# A streaming replica of the primary, for the reads of the logs, their counters and the audit trail
# (communication/replica.py); its tests mirror the primary's test database.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {**env.db("DATABASE_REPLICA_URL"), "TEST": {"MIRROR": "default"}}
    DATABASE_ROUTERS = ["communication.replica.ReplicaRouter"]
# Seconds the replica may lag behind the primary before reads go to the primary.
REPLICA_MAX_LAG_SECONDS = env.int("DJANGO_REPLICA_MAX_LAG_SECONDS", default=30)
for database in DATABASES.values():
    # Persistent connections, checked before reuse, so a restarted database is picked up without a restart.
    database["CONN_MAX_AGE"] = env.int("DJANGO_DB_CONN_MAX_AGE", default=60)
    database["CONN_HEALTH_CHECKS"] = True
    if database["ENGINE"] == "django.db.backends.postgresql":
        # An unreachable host must fail fast enough for a 503 (or a fall back from the replica) within 5 s, not
        # hang for the OS default; `pg_stat_activity` names the service's connections.
        database.setdefault("OPTIONS", {}).update(
            connect_timeout=env.int("DJANGO_DB_CONNECT_TIMEOUT", default=2), application_name="commlogs"
        )
# The user index's INCLUDE (channel, status) serves PostgreSQL's index-only counts; SQLite builds it without them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Milliseconds an API read may run before it is cancelled and answered with a 503; 0 turns it off.
API_STATEMENT_TIMEOUT_MS = env.int("DJANGO_API_STATEMENT_TIMEOUT_MS", default=5000)
# Readers fold the log counters' delta rows up; turn off when reads go to a replica, and run
# `manage.py roll_up_log_counters` on the primary every minute instead (docs/scaling.md).
COUNTER_ROLLUP_ON_READ = env.bool("DJANGO_COUNTER_ROLLUP_ON_READ", default=True)
# Hours an API token authenticates after it is made; a login past half of that hands out a new one. 0: never.
TOKEN_MAX_AGE_HOURS = env.int("DJANGO_TOKEN_MAX_AGE_HOURS", default=24)
if TOKEN_MAX_AGE_HOURS < 0:
    raise ImproperlyConfigured("DJANGO_TOKEN_MAX_AGE_HOURS must be 0 (tokens never expire) or more")
# Hours a login to the admin or the browsable API lasts (Django's default is two weeks).
SESSION_MAX_AGE_HOURS = env.int("DJANGO_SESSION_MAX_AGE_HOURS", default=24)
if SESSION_MAX_AGE_HOURS < 1:
    raise ImproperlyConfigured("DJANGO_SESSION_MAX_AGE_HOURS must be 1 or more")
SESSION_COOKIE_AGE = SESSION_MAX_AGE_HOURS * 3600
# Days audit events are kept; the audit purge command deletes older ones, and none younger.
AUDIT_RETENTION_DAYS = env.int("DJANGO_AUDIT_RETENTION_DAYS", default=365)
if AUDIT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("DJANGO_AUDIT_RETENTION_DAYS must be 1 or more")

# The rate limit's and the login limit's counters, shared by every worker: a table in the database by default,
# Redis in production (`redis://127.0.0.1:6379/0`).
CACHES = {"default": env.cache("DJANGO_CACHE_URL", default="dbcache://commlogs_cache")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes refuses a locked-out login before Django's ModelBackend checks the password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Times in the admin as the API writes them (commlogs_site/formats/en/formats.py).
FORMAT_MODULE_PATH = ["commlogs_site.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Whitenoise serves the collected files (admin, browsable API, Swagger UI, Redoc) compressed, under names that hold
# a hash of their content, so that browsers may keep them a year.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Behind our own TLS: HSTS, redirect to HTTPS and secure cookies. Off for plain HTTP behind a proxy or locally.
HTTPS = env.bool("DJANGO_HTTPS", default=False)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
if env.bool("DJANGO_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy on every answer but static files (django-csp). Scripts run only from our own
# static files, so text that reaches a page (a log's content, a filter value) can never run as a script,
# and no page can send data anywhere but here. Styles may be inline: DRF's browsable API writes style
# attributes and Redoc injects <style> elements. Redoc's search runs in a worker made from a blob.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "communication.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "communication.api.renderers.EnvelopeBrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["communication.api.parsers.BoundedJSONParser", "rest_framework.parsers.FormParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "communication.api.negotiation.JsonFallbackNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "communication.api.schema.ContractAutoSchema",
    "EXCEPTION_HANDLER": "communication.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"logs": env.str("DJANGO_THROTTLE_LOGS", default="600/min")},
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# Failed logins, at the token endpoint and the admin's form alike, counted per client IP and per username in the
# cache (django-axes): past the limit, both are locked out until no failure has come for the cool-off time.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("DJANGO_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_USERNAME_CALLABLE = "communication.accounts.counted_username"
AXES_CLIENT_IP_CALLABLE = "communication.audit.recording.client_ip_of"
AXES_CLIENT_STR_CALLABLE = "communication.accounts.client_without_username"
AXES_LOCKOUT_CALLABLE = "communication.accounts.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
AXES_DISABLE_ACCESS_LOG = True

SPECTACULAR_SETTINGS = {
    "TITLE": "commlogs: communication log API",
    "DESCRIPTION": (
        "Staff look up the SMS, email and push messages that the platform sent to any user. "
        "Recipients are always masked. References: ePrivacy Directive 2002/58/EC, CAN-SPAM Act."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["communication.api.schema.drop_alias_routes"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "communication.api.schema.add_page_info_component",
        "communication.api.schema.document_parameter_limits",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json_lines": {"()": "communication.log_lines.JsonLinesFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json_lines"},
        "null": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default handlers would print a second, unstructured copy of each error.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # runserver's request lines carry the query string (a recipient); commlogs.access replaces them.
        "django.server": {"handlers": ["null"], "propagate": False},
    },
}

# Retention of logs (of audit events: AUDIT_RETENTION_DAYS above), and the most rows one CSV export holds.
LOG_RETENTION_DAYS = env.int("DJANGO_LOG_RETENTION_DAYS", default=180)
if LOG_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("DJANGO_LOG_RETENTION_DAYS must be 1 or more")
EXPORT_MAX_ROWS = env.int("DJANGO_EXPORT_MAX_ROWS", default=100_000)

# A page more than this many rows from both the first and the last matching row is refused (400 naming
# `page`): its OFFSET would grow with the table. Pages near either end are always served.
DEEP_PAGE_MAX_ROWS = max(0, env.int("DJANGO_DEEP_PAGE_MAX_ROWS", default=10_000))
