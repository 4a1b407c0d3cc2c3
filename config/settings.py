"""Consultrack settings: one module, driven by environment variables.

Every setting that differs between a laptop, CI and production is read from the
environment through the small helpers below, which fail with one clear sentence
naming the variable instead of a traceback.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = "0.1.0"


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: set the SECRET_KEY environment variable to a long random "
            "string (or DEBUG=true for local development)."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "django_countries",
    "simple_history",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Our apps, from the bottom of the import graph to the top.
    "accounts",
    "notifications",
    "webhooks",
    "stakeholders",
    "consultations",
    "responses",
    "exports",
    "reminders",
    "config.apps.ConsultrackConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A NUL in the query string gets a page saying so, before any view hands it to the database.
    "config.middleware.RefuseNullCharactersMiddleware",
    # Every page needs a login unless its view says otherwise (the login page).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A user with a second factor (or an admin who must have one) sees nothing before it is given.
    "accounts.middleware.SecondFactorMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    # After LocaleMiddleware (cookie, browser) and the user: a signed-in user's own language wins.
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins of a locked-out username and address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.roles",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# Database: a SQLite file under var/ unless DATABASE_URL says otherwise.
_default_database_url = f"sqlite:///{BASE_DIR / 'var' / 'consultrack.sqlite3'}"
_database_url = os.environ.get("DATABASE_URL") or _default_database_url
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Consultrack understands ({exc}).") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = {"connect_timeout": envint("DATABASE_CONNECT_TIMEOUT", 5)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("TEST_DATABASE_NAME") or None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is locked out for LOGIN_LOCKOUT_MINUTES; a successful sign-in clears the count.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 15)
if LOGIN_FAILURE_LIMIT < 1 or LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be 1 or more.")
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_USERNAME_CALLABLE = "accounts.views.axes_username"
AXES_VERBOSE = False

# Two-factor sign-in (django-otp, TOTP): any user may turn it on; with OTP_REQUIRED_FOR_ADMINS, admins must.
OTP_REQUIRED_FOR_ADMINS = envbool("OTP_REQUIRED_FOR_ADMINS", False)
OTP_TOTP_ISSUER = "Consultrack"
# Wrong codes slow further tries down: 2**(n-1) seconds after the n-th.
OTP_TOTP_THROTTLE_FACTOR = 1

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Internationalisation. Datetimes are stored in UTC and shown in the viewer's zone.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers as each language writes them (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Uploads and packs: the local disk, or S3-compatible storage when a bucket is named
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_S3_ENDPOINT_URL are read by django-storages).
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage"
        if AWS_STORAGE_BUCKET_NAME
        else "django.core.files.storage.FileSystemStorage"
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Deadline reminders: the days before a deadline on which they go out, unless a consultation says otherwise.
REMINDER_OFFSETS = [int(day) for day in envlist("REMINDER_OFFSETS", ["14", "7", "3", "1", "0"])]
# How often Celery beat scans for reminders that have fallen due, in minutes.
REMINDER_SCAN_MINUTES = envint("REMINDER_SCAN_MINUTES", 15)
# A reminder e-mail the mail server refused (or could not be reached for) is tried again after this many
# seconds, then after exponentially longer pauses; a scan also sends those whose retries were lost.
REMINDER_RETRY_SECONDS = envint("REMINDER_RETRY_SECONDS", 60)
# Saved searches e-mail their new matches once a day, from this hour on (0-23, in TIME_ZONE).
SAVED_SEARCH_EMAIL_HOUR = envint("SAVED_SEARCH_EMAIL_HOUR", 7)
if not 0 <= SAVED_SEARCH_EMAIL_HOUR <= 23:
    raise ImproperlyConfigured("SAVED_SEARCH_EMAIL_HOUR must be an hour between 0 and 23.")
if REMINDER_SCAN_MINUTES < 1:
    raise ImproperlyConfigured(f"REMINDER_SCAN_MINUTES must be 1 or more, not {REMINDER_SCAN_MINUTES}.")

# Uploaded submissions: the largest file accepted, in megabytes.
ATTACHMENT_MAX_MB = envint("ATTACHMENT_MAX_MB", 25)
ATTACHMENT_MAX_BYTES = ATTACHMENT_MAX_MB * 1024 * 1024
# No uploaded file is kept beyond this (the largest of the attachment and import limits): past it the
# upload is counted but dropped, and the form says it is too large (responses.upload_handlers).
UPLOAD_MAX_BYTES = max(ATTACHMENT_MAX_BYTES, 20 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "responses.upload_handlers.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Files up to 2.5 MB are held in memory while a request is handled, larger ones in a temporary file;
# the non-file fields of one request may total 2.5 MB, and one request may carry at most 50 files.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 50
# DOCX and ODT packages are refused before any parsing when they unpack to more than this, hold more
# parts than this, or compress one part more than this ratio (zip bombs); see responses.uploads.
PACKAGE_MAX_UNPACKED_MB = envint("PACKAGE_MAX_UNPACKED_MB", 200)
PACKAGE_MAX_MEMBERS = 2000
PACKAGE_MAX_RATIO = 200
# PDF text is read in a child process with this much memory at most, for at most this long.
PDF_PARSE_MAX_MEMORY_MB = envint("PDF_PARSE_MAX_MEMORY_MB", 512)
PDF_PARSE_TIMEOUT_SECONDS = envint("PDF_PARSE_TIMEOUT_SECONDS", 120)

# Campaigns: near-identical responses (form letters with small edits) grouped per consultation.
# Two responses belong together from this Jaccard similarity of their word 3-grams on (0 to 1);
# a consultation may set its own on its campaigns page.
try:
    CAMPAIGN_SIMILARITY_THRESHOLD = float(os.environ.get("CAMPAIGN_SIMILARITY_THRESHOLD") or 0.5)
except ValueError:
    raise ImproperlyConfigured("CAMPAIGN_SIMILARITY_THRESHOLD must be a number between 0 and 1.") from None
if not 0 < CAMPAIGN_SIMILARITY_THRESHOLD <= 1:
    raise ImproperlyConfigured("CAMPAIGN_SIMILARITY_THRESHOLD must be a number above 0 and at most 1.")
# The fewest responses that make a campaign.
CAMPAIGN_MIN_SIZE = envint("CAMPAIGN_MIN_SIZE", 2)
if CAMPAIGN_MIN_SIZE < 2:
    raise ImproperlyConfigured(f"CAMPAIGN_MIN_SIZE must be 2 or more, not {CAMPAIGN_MIN_SIZE}.")
# Seconds between a change to a consultation's responses and the recomputation of its campaigns:
# changes within that time (an import, a batch of extractions) are grouped into one run.
CAMPAIGN_RECOMPUTE_DELAY = envint("CAMPAIGN_RECOMPUTE_DELAY", 30)
if CAMPAIGN_RECOMPUTE_DELAY < 0:
    raise ImproperlyConfigured(f"CAMPAIGN_RECOMPUTE_DELAY must be 0 or more, not {CAMPAIGN_RECOMPUTE_DELAY}.")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: printed to the console unless EMAIL_URL-style settings say otherwise.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Consultrack <consultrack@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. Without a broker, tasks run eagerly in the calling process (see config.apps).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or (CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis hands a task that was never acknowledged (its worker died) to another worker after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600)}
# Response packs still queued this long after they were asked for are sent to the workers again, every
# EXPORT_REQUEUE_SECONDS (their task never reached the broker, or the broker lost it).
EXPORT_REQUEUE_AFTER_SECONDS = envint("EXPORT_REQUEUE_AFTER_SECONDS", 300)
EXPORT_REQUEUE_SECONDS = 300
CELERY_BEAT_SCHEDULE: dict = {
    # Response packs: delete the files of packs past their expiry (EXPORT_RETENTION_DAYS), hourly.
    "exports-purge-expired-packs": {"task": "exports.purge_expired_packs", "schedule": 3600.0},
    # Response packs: send again the builds of jobs asked for while the broker was down (or lost with its data).
    "exports-requeue-waiting": {
        "task": "exports.requeue_waiting",
        "schedule": float(EXPORT_REQUEUE_SECONDS),
        "options": {"expires": float(EXPORT_REQUEUE_SECONDS)},
    },
    # Webhooks: queue again, every 5 minutes, deliveries whose task was lost (the claim prevents double posts).
    "webhooks-requeue-overdue": {"task": "webhooks.requeue_overdue", "schedule": 300.0, "options": {"expires": 300.0}},
    # Deadline reminders: scan for reminders due every REMINDER_SCAN_MINUTES; a scan queued while no worker ran
    # expires instead of piling up (the next scan sends what is due, and the claim makes extra scans harmless).
    "reminders-scan": {
        "task": "reminders.scan",
        "schedule": REMINDER_SCAN_MINUTES * 60.0,
        "options": {"expires": REMINDER_SCAN_MINUTES * 60.0},
    },
    # Saved searches: each opted-in search e-mails its new matches once a day. Hourly, so that a day missed
    # while beat or the mail server was down is caught up; the per-day marker keeps it to one e-mail a day.
    # Deleted items: purge, hourly, those deleted more than DELETED_RETENTION_DAYS ago (rows, files, history).
    "responses-purge-deleted": {"task": "responses.purge_deleted", "schedule": 3600.0, "options": {"expires": 3600.0}},
    "responses-email-saved-searches": {
        "task": "responses.email_saved_searches",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}

# Deleted responses and files stay in the deleted items (an admin can restore them) this many days, then the
# beat task responses.purge_deleted removes them and their stored files for good.
DELETED_RETENTION_DAYS = envint("DELETED_RETENTION_DAYS", 30)
if DELETED_RETENTION_DAYS < 0:
    raise ImproperlyConfigured(f"DELETED_RETENTION_DAYS must be 0 or more, not {DELETED_RETENTION_DAYS}.")

# Response packs (exports app): kept this many days after they are built, then deleted by the beat task.
EXPORT_RETENTION_DAYS = envint("EXPORT_RETENTION_DAYS", 7)
# Responses read per database batch while building a pack; memory grows with this, not with the pack.
EXPORT_BATCH_SIZE = envint("EXPORT_BATCH_SIZE", 200)
# Parts of pack.pdf laid out at once, each by a process of its own (at most one per core): memory grows
# by about 100 MB for each.
EXPORT_PDF_PROCESSES = envint("EXPORT_PDF_PROCESSES", 2)
# A building worker writes a heartbeat this often; silent for three beats, its job may be taken over.
EXPORT_HEARTBEAT_SECONDS = envint("EXPORT_HEARTBEAT_SECONDS", 10)
# Test-only: a pause after each batch so that a test can kill a worker mid-build. Leave at 0.
EXPORT_BATCH_DELAY_SECONDS = envint("EXPORT_BATCH_DELAY_MS", 0) / 1000

# Cache: Redis when CACHE_URL names it (shared by every web process and worker), else each process's memory.
# Pages never depend on it: while Redis is unreachable they are served without the cache (config.cache),
# after waiting at most CACHE_TIMEOUT_SECONDS for it.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHE_TIMEOUT_SECONDS = envint("CACHE_TIMEOUT_SECONDS", 1)
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL must be a Redis URL (redis://host:6379/1), or be left unset.")
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "consultrack",
            "OPTIONS": {"socket_connect_timeout": CACHE_TIMEOUT_SECONDS, "socket_timeout": CACHE_TIMEOUT_SECONDS},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "consultrack"}}
# How long the stance matrix's aggregates may stay cached; every change that alters them renews them anyway.
MATRIX_CACHE_SECONDS = envint("MATRIX_CACHE_SECONDS", 3600)

# The REST API (/api/v1/): tokens or the browser's session, the roles' permissions, cursor pages,
# per-user throttling and one shape for every error (config.api_errors).
API_PAGE_SIZE = envint("API_PAGE_SIZE", 50)
REST_FRAMEWORK = {
    # Token first, so an anonymous request is answered 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api.RolePermissions"],
    "DEFAULT_PAGINATION_CLASS": "config.api_pagination.CursorPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # Per user. Anonymous callers are refused before any throttle is consulted, so none is set for them.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": os.environ.get("API_THROTTLE_USER", "2000/hour")},
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Consultrack API",
    "DESCRIPTION": (
        "Consultations, stakeholder organisations, their responses and coded positions, attachments, "
        "comments, response packs and reminder history. Authenticate with `Authorization: Token <key>` "
        "(make a token on your API token page) or, in the browser, with your session. Every error has the "
        'shape `{"error": {"code": ..., "message": ..., "fields": {...}}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["accounts.api.TeamMember"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ResponseStatusEnum": "responses.models.ResponseStatus",
        "ExportStatusEnum": "exports.models.ExportStatus",
        "ReminderStatusEnum": "reminders.models.ReminderStatus",
    },
}

# Outgoing webhooks: seconds to wait for a receiver, attempts before giving up, and the first pause
# between attempts (doubled after each failure: 30 s, 1, 2, 4, 8 min...).
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = envint("WEBHOOK_RETRY_BASE_SECONDS", 30)

# Security. With DEBUG off the production defaults apply; each can be relaxed by env
# (for instance SECURE_SSL_REDIRECT=false behind a proxy that already redirects).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Pages carry the CSRF token in their markup (htmx sends it from there); no script reads the cookie.
CSRF_COOKIE_HTTPONLY = True
# A sign-in lasts this many seconds (12 hours unless SESSION_COOKIE_AGE says otherwise), and, with
# SESSION_EXPIRE_AT_BROWSER_CLOSE, no longer than the browser stays open.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 60 * 60)
if SESSION_COOKIE_AGE < 60:
    raise ImproperlyConfigured(f"SESSION_COOKIE_AGE must be 60 seconds or more, not {SESSION_COOKIE_AGE}.")
SESSION_EXPIRE_AT_BROWSER_CLOSE = envbool("SESSION_EXPIRE_AT_BROWSER_CLOSE", False)

# Content-Security-Policy (django-csp 4): scripts, styles, fonts and images from our own origin only;
# no inline script, no inline style (htmx is told not to inject its indicator styles, see base.html),
# no plugins, no framing. Bootstrap's CSS draws some icons as data: SVG images.
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
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes logs every sign-in at INFO; lockouts come at WARNING.
        "axes": {"level": "WARNING"},
    },
}

# Demo users' password: DEMO_PASSWORD, or one generated and kept under var/.
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "")
