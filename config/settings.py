"""The one settings module, read from the environment.

With no environment set the platform runs on embedded defaults: SQLite and a filesystem
Celery broker, so `make demo` needs no server. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY, DEBUG=0, ALLOWED_HOSTS and EMAIL_URL.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
_INSECURE_DEV_KEY = "dev-only-insecure-key-change-me-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_DEV_KEY)
if not DEBUG and SECRET_KEY == _INSECURE_DEV_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "core",
    "community",
    "notices",
    "audit",
    "points",
    "contracts",
    "councils",
    "volunteers",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "core.context_processors.platform",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # The test database is a file so that a Celery worker process started by a test can share it.
    _db.setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test.sqlite3")
    _db.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    # Behind PgBouncer in transaction pooling, a cursor kept open across transactions may land on
    # another server connection: `.iterator()` must then read client-side (README "Beyond one machine").
    _db["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DISABLE_SERVER_SIDE_CURSORS", default=False)
IS_POSTGRES = _db["ENGINE"].startswith("django.db.backends.postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and authentication ---------------------------------------------------------------
AUTH_USER_MODEL = "community.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "community.backends.PhoneOrUsernameBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Lock-out after repeated failures, per (username, IP).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Language and time ------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root in development
# static/ holds the project's own files; build/vendor is filled from node_modules at install time.
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor", BASE_DIR / "build" / "vendor")]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500

# --- Cache, broker, jobs ----------------------------------------------------------------------
# Public pages served from the cache to visitors without a session (core.pagecache); 0 turns it off.
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=60)
# The dashboards' figures and charts per area and period, shared by everyone who looks (core.pagecache.cached).
FIGURES_CACHE_SECONDS = env.int("FIGURES_CACHE_SECONDS", default=60)
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    BROKER_DIR = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # kombu's default is "control" relative to the working directory: keep it with the broker.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The demo worker checks the queue folder ten times a second (kombu polls once a second).
        "polling_interval": 0.1,
        "visibility_timeout": 3600,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# One queue per kind of job, so that each kind can have workers of its own and a backlog of one kind
# (a district's e-mail, a slow nightly scan) does not hold up the others (README, "Beyond one machine").
# The rest (the outbox relay, ledger exports, anything not routed) keeps Celery's default queue name,
# `celery`, so that messages queued before the split, and retries a worker holds, still find a reader.
# Each queue has its own routing key: bound with the default key, a queue would get a copy of every
# default message. A worker started without -Q reads all of them; rundemo, tests/worker.py and
# docker-compose.yml name theirs, and tests/core/test_queues.py checks that every task is read.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name)
    for name in (
        "celery",
        "notices",  # sending: e-mails (retried with back-off) and due reminders, every minute
        "ledger",  # points transfers; they lock accounts' rows, so a worker of their own bounds how many at once
        "periodic",  # beat's scans of every app and the nightly ledger check
    )
]
CELERY_TASK_ROUTES = {
    "notices.email_notice": {"queue": "notices"},
    "notices.send_due_reminders": {"queue": "notices"},
    "points.award_for_event": {"queue": "ledger"},
    "points.expire_points": {"queue": "ledger"},
    "points.expire_redemptions": {"queue": "ledger"},
    "contracts.daily": {"queue": "periodic"},
    "councils.periodic": {"queue": "periodic"},
    "volunteers.periodic": {"queue": "periodic"},
    "points.verify_ledger_nightly": {"queue": "periodic"},
    "points.expiry_notice": {"queue": "periodic"},
    "points.fold_flows": {"queue": "periodic"},
}
# How long the outbox relay waits for the broker before leaving a message for the next pass.
OUTBOX_SEND_TIMEOUT = env.float("OUTBOX_SEND_TIMEOUT", default=2.0)

# --- Email ------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="越城共建平台 <noreply@localhost>")

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: a request without credentials gets 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.drf.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "token": env.str("THROTTLE_TOKEN", default="10/min"),
    },
    "EXCEPTION_HANDLER": "core.drf.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "越城党建契约化共建平台 API",
    "DESCRIPTION": "REST API of the Yuecheng co-construction platform (contract-based Party building).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files (no CDN is assumed).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets share the field name "kind": name each (otherwise a hashed name and a W001 warning).
    "ENUM_NAME_OVERRIDES": {
        "AreaKindEnum": "community.models.AreaKind",
        "OrganisationKindEnum": "community.models.OrgKind",
        "MenuKindEnum": "contracts.models.MenuKind",
        "ContractSideEnum": "contracts.models.Side",
        "IssueStateEnum": "councils.workflow.IssueState",
        "MotionStateEnum": "councils.workflow.MotionState",
        "SeatKindEnum": "councils.models.SeatKind",
        "PledgeKindEnum": "councils.models.PledgeKind",
        "CouncilMeetingStateEnum": "councils.models.MeetingState",
        "IssueCategoryEnum": "councils.models.IssueCategory",
        "ServiceFieldEnum": "volunteers.workflow.ServiceField",
        "ReportStateEnum": "volunteers.workflow.ReportState",
        "WishStateEnum": "volunteers.workflow.WishState",
        "WishCategoryEnum": "volunteers.workflow.WishCategory",
        "ServiceOrderStateEnum": "volunteers.workflow.OrderState",
        "ActivitySignupStateEnum": "volunteers.workflow.SignupState",
        "LedgerKindEnum": "dashboards.models.LedgerKind",
        "LedgerExportStateEnum": "dashboards.models.ExportState",
    },
}

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Points: earning and expiry (points/earning.py) ----------------------------------------------
# Points earned in year Y expire at the end of year Y + POINTS_EXPIRY_YEARS; 0 = never.
POINTS_EXPIRY_YEARS = env.int("POINTS_EXPIRY_YEARS", default=1)
# Manual awards (and, separately, deductions) per community per calendar month, in points.
POINTS_MANUAL_MONTHLY_LIMIT = env.int("POINTS_MANUAL_MONTHLY_LIMIT", default=2000)
POINTS_MANUAL_DEDUCTION_MONTHLY_LIMIT = env.int("POINTS_MANUAL_DEDUCTION_MONTHLY_LIMIT", default=2000)
# At most this many points in one manual award or deduction.
POINTS_MANUAL_MAX_PER_AWARD = env.int("POINTS_MANUAL_MAX_PER_AWARD", default=500)
# Tills of each community's issuing account (ADR 0006): payments from one community run side by
# side, one per free till. Applies to accounts opened afterwards.
POINTS_COMMUNITY_TILLS = env.int("POINTS_COMMUNITY_TILLS", default=8)

# --- Contracts -------------------------------------------------------------------------------------
# Days the two signers have to sign a version once both sides agreed to it.
CONTRACT_SIGNING_DAYS = env.int("CONTRACT_SIGNING_DAYS", default=14)
# Weights of the ratings in a contract's score (评约): residents served, and each side of the other.
CONTRACT_EVALUATION_WEIGHTS = {"resident": 50, "community": 25, "unit": 25}
# What each side rates the other on, and each criterion's weight (codes of contracts.models.Criterion).
# Residents give one overall score; a side's rating is the weighted mean of its criteria.
CONTRACT_EVALUATION_CRITERIA = {"delivery": 40, "quality": 30, "cooperation": 30}
# The evaluation window opens the day after the term ends and closes this many days later.
CONTRACT_EVALUATION_DAYS = env.int("CONTRACT_EVALUATION_DAYS", default=30)
# Days to put right what an unsatisfactory evaluation found (整改).
CONTRACT_RECTIFICATION_DAYS = env.int("CONTRACT_RECTIFICATION_DAYS", default=30)
# Councils: days the convener has to triage a raised issue before it escalates to the community.
COUNCIL_TRIAGE_DAYS = env.int("COUNCIL_TRIAGE_DAYS", default=3)
# Days the residents concerned have to rate a resolved issue (民评) before the survey closes.
COUNCIL_SURVEY_DAYS = env.int("COUNCIL_SURVEY_DAYS", default=7)

# Volunteers (volunteers/): an order dispatched or pooled and not accepted in this many hours returns
# to the community; a done order not rated in this many days closes itself; open micro-wishes due
# within this many days are pushed to the members of their grid; a check-in code is valid from this
# many minutes before an activity starts until as long after it ends, and changes every few minutes.
VOLUNTEER_ACCEPT_HOURS = env.int("VOLUNTEER_ACCEPT_HOURS", default=24)
VOLUNTEER_RATE_DAYS = env.int("VOLUNTEER_RATE_DAYS", default=7)
VOLUNTEER_WISH_PUSH_DAYS = env.int("VOLUNTEER_WISH_PUSH_DAYS", default=3)
ACTIVITY_CHECKIN_MARGIN_MINUTES = env.int("ACTIVITY_CHECKIN_MARGIN_MINUTES", default=30)

# Dashboards (dashboards/): the Party-and-people map's tile server, a URL template such as
# "https://tiles.example.org/{z}/{x}/{y}.png" with its attribution; empty: a plain background, no
# external service. Ledgers of more rows than LEDGER_SYNC_ROWS are built by a Celery job with progress.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")
LEDGER_SYNC_ROWS = env.int("LEDGER_SYNC_ROWS", default=2000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

PLATFORM_NAME = _("Yuecheng Co-construction Platform")
