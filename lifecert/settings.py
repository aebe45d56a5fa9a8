"""LifeCert settings: one module, every value from the environment.

See ``.env.example`` for each variable. ``DEBUG`` is off unless the
environment sets it (``scripts/serve.sh`` and the tests set ``DEBUG=1``); with
``DEBUG`` off, start-up refuses a missing secret key, SQLite, a missing data key
(biometrics are encrypted at rest) and test hooks.
"""

import contextlib
import datetime
import os
import re
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from lifecert.core.env import envbool, envfloat, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("LIFECERT_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", False)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me"  # noqa: S105
SECRET_KEY = envstr("SECRET_KEY", _DEV_SECRET if DEBUG else "")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "lifecert.core",
    "lifecert.registry",
    "lifecert.accounts",
    "lifecert.certification",
    "lifecert.backoffice",
    "lifecert.pensioner",
    "lifecert.employer",
    "lifecert.exports",
    "lifecert.reminders",
    "lifecert.notices",
    # Demo data (seed_demo) and test factories: above every other app.
    "lifecert.demo",
    "lifecert.api",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
]

MIDDLEWARE = [
    # Outermost: the response headers every answer carries, also the 400 of a
    # forged Host header and the 413 below, which inner middleware answer
    # before the rest of the stack sees them. None of these reads the body.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "lifecert.core.middleware.PrivacyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Then: refuses an oversized body before anything reads it.
    "lifecert.core.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "lifecert.core.middleware.SessionLimitsMiddleware",
    "lifecert.core.middleware.MethodNotAllowedPageMiddleware",
    # Last: turns a lockout django-axes flagged during the view into our page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lifecert.urls"
WSGI_APPLICATION = "lifecert.wsgi.application"

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
                "lifecert.core.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        # Keep connections between requests (a new PostgreSQL connection costs
        # milliseconds on every page); a dead one is noticed and replaced.
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a long write (a bulk save) runs. A
    # page cache of up to 64 MiB a connection (SQLite's default is 2 MiB): a
    # 20,000-row evidence import re-reads the pages it has just written: its
    # statements took 7.9 s with the default, 4.9 s with 128 MiB (one sample).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests on a file, not shared-cache memory: threads of one test then wait
    # for the write lock as workers do, instead of failing "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}
elif "postgresql" in DATABASES["default"]["ENGINE"] and not envbool("DB_JIT", False):
    # No JIT compilation for our short statements: at a million pensions it
    # took longer than the dashboard's count itself (docs/benchmarks.md,
    # "Back-office dashboard at 1,000,000 persons"). DB_JIT=1 turns it back on.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out username + address before any
# password is checked, for every ``authenticate`` call (our login pages, the
# old-account binding, password change, ``/admin/``).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "lifecert.accounts.backends.AccountBackend",
    # 统一身份认证: answers only the OpenID Connect callback (accounts/oidc.py).
    "lifecert.accounts.oidc.LifeCertOIDCBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    # Django's rules, each saying its refusal in Chinese (accounts/validators.py).
    {
        "NAME": "lifecert.accounts.validators.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "phone")},
    },
    {
        "NAME": "lifecert.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("PASSWORD_MIN_LENGTH", 8)},
    },
    {"NAME": "lifecert.accounts.validators.CommonPasswordValidator"},
    {"NAME": "lifecert.accounts.validators.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:personal-login"
# Chinese page with the way back; Django still does the checking.
CSRF_FAILURE_VIEW = "lifecert.core.views.csrf_failure"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"

# Django's own database sessions (DESIGN.md: framework machinery stays Django's).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Per kind of user: minutes without a request, then hours since the login,
# after which the session ends (lifecert.core.middleware.SessionLimitsMiddleware).
# "cert" is the certification login (name + number); its cookie also ends
# with the browser.
SESSION_LIMITS = {
    "personal": (
        envint("SESSION_IDLE_MINUTES_PERSONAL", 15),
        envint("SESSION_MAX_HOURS_PERSONAL", 4),
    ),
    "unit": (
        envint("SESSION_IDLE_MINUTES_UNIT", 30),
        envint("SESSION_MAX_HOURS_UNIT", 10),
    ),
    "staff": (
        envint("SESSION_IDLE_MINUTES_STAFF", 30),
        envint("SESSION_MAX_HOURS_STAFF", 10),
    ),
    "cert": (
        envint("SESSION_IDLE_MINUTES_CERT", 10),
        envint("SESSION_MAX_HOURS_CERT", 1),
    ),
}
# The longest of them: a session never outlives its cookie.
SESSION_COOKIE_AGE = max(hours for _, hours in SESSION_LIMITS.values()) * 3600

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (see README).
if envbool("SECURE_PROXY_SSL", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else envint("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
# The camera page may use the camera; nothing may use the rest.
PERMISSIONS_POLICY = (
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(),"
    " display-capture=()"
)

# 统一身份认证 through OpenID Connect (mozilla-django-oidc; README "统一身份认证").
# Off while OIDC_RP_CLIENT_ID is empty. The endpoints are the provider's
# discovery document's (``<issuer>/.well-known/openid-configuration``).
OIDC_RP_CLIENT_ID = envstr("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = envstr("OIDC_RP_CLIENT_SECRET")
OIDC_OP_ISSUER = envstr("OIDC_OP_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = envstr("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = envstr("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = envstr("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = envstr("OIDC_OP_JWKS_ENDPOINT")
OIDC_OP_LOGOUT_ENDPOINT = envstr("OIDC_OP_LOGOUT_ENDPOINT")
OIDC_RP_SIGN_ALGO = envstr("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = envstr("OIDC_RP_SCOPES", "openid profile idcard")
# The userinfo claim that carries the ID number (links personal accounts).
OIDC_ID_NUMBER_CLAIM = envstr("OIDC_ID_NUMBER_CLAIM", "id_number")
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the hint for the provider's logout
OIDC_TIMEOUT = envint("OIDC_TIMEOUT", 10)
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc-callback"
if OIDC_RP_CLIENT_ID and not all(
    (
        OIDC_OP_ISSUER,
        OIDC_OP_AUTHORIZATION_ENDPOINT,
        OIDC_OP_TOKEN_ENDPOINT,
        OIDC_OP_USER_ENDPOINT,
        OIDC_OP_JWKS_ENDPOINT,
    )
):
    raise ImproperlyConfigured(
        "OIDC_RP_CLIENT_ID is set: also set OIDC_OP_ISSUER and the provider's"
        " authorization, token, userinfo and JWKS endpoints (README: 统一身份认证)."
    )


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""


# Content Security Policy (django-csp): scripts, styles, images and requests
# only from this site; canvas frames leave as blobs (no blob: URL needed).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:", "mediastream:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # Logging out after a 统一身份认证 login redirects the form's POST to
        # the provider's logout, which form-action also governs.
        "form-action": ["'self'"]
        + ([_origin(OIDC_OP_LOGOUT_ENDPOINT)] if OIDC_OP_LOGOUT_ENDPOINT else []),
        "frame-ancestors": ["'none'"],
    }
}

# The integration API (lifecert/api): rows per pushed batch, bytes per
# request, rows per pulled page (default and most).
API_MAX_BATCH_ROWS = envint("API_MAX_BATCH_ROWS", 5000)
API_MAX_REQUEST_BYTES = envint("API_MAX_REQUEST_BYTES", 2 * 1024 * 1024)
API_PAGE_SIZE = envint("API_PAGE_SIZE", 500)
API_PAGE_MAX = envint("API_PAGE_MAX", 1000)
# Calls refused for want of a valid token are audited (api.refused) up to
# these rates, per client address and from all addresses together (DRF rate
# strings, counted in the shared cache); past them: 429 and no audit row, so
# a flood of bad tokens cannot fill the audit log (lifecert/api/throttling.py).
API_REFUSED_RATE = envstr("API_REFUSED_RATE", "60/hour")
API_REFUSED_RATE_ALL = envstr("API_REFUSED_RATE_ALL", "1000/hour")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lifecert.api.authentication.TokenAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["lifecert.api.authentication.HasScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["lifecert.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lifecert.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LifeCert 系统接口",
    "DESCRIPTION": (
        "供社保经办机构其他系统调用：查询认证状态、推送数据比对与死亡名单、"
        "拉取认证及待遇变动记录。令牌由经办人员在后台“接口令牌”页发放。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
}

# Bodies larger than this are refused before they are read (413), per path
# (RequestSizeLimitMiddleware); the first matching pattern wins.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 12 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
REQUEST_MAX_BYTES = envint("REQUEST_MAX_BYTES", 256 * 1024)
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 25 * 1024 * 1024)
# What one Excel import may hold (lifecert.registry.excel, every import): rows,
# characters in a cell, and the unpacked size of the .xlsx zip, checked member
# by member before openpyxl parses anything (a 300 KB zip can unpack to 300 MB).
# A 200,000-row registry file unpacks to about 130 MB at a ratio near 11.
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 200_000)
# SQLite: the page cache of a 数据比对 batch over 20,000 rows (an Excel file),
# for its transaction only; the connection's own is 64 MiB. Memory grows only
# with the pages the import touches (bench/bench_import_cache.py).
IMPORT_SQLITE_CACHE_MIB = envint("IMPORT_SQLITE_CACHE_MIB", 256)
IMPORT_MAX_CELL_CHARS = envint("IMPORT_MAX_CELL_CHARS", 500)
IMPORT_MAX_UNPACKED_BYTES = envint("IMPORT_MAX_UNPACKED_BYTES", 256 * 1024 * 1024)
IMPORT_MAX_ZIP_RATIO = envint("IMPORT_MAX_ZIP_RATIO", 100)
# A checked registry upload waits this long for its confirmation (PendingImport).
IMPORT_PENDING_HOURS = envint("IMPORT_PENDING_HOURS", 24)
PHOTO_UPLOAD_MAX_BYTES = 10 * 1024 * 1024 + 64 * 1024
# A portal notice's attachment (lifecert/notices/attachments.py).
NOTICE_ATTACHMENT_MAX_BYTES = envint("NOTICE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)

# Every throttle (django-axes aside) counts in this cache, a database table
# shared by all workers that survives restarts (made by core migration 0004).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "lifecert_cache",
    }
}

# Password guessing (django-axes; lifecert/accounts/lockout.py). A username
# locks from one address after LOGIN_MAX_FAILURES wrong passwords; from all
# addresses together only after LOGIN_MAX_FAILURES_PER_ACCOUNT, so a stranger
# alone cannot lock a real user out. Unknown usernames count the same way.
LOGIN_MAX_FAILURES = envint("LOGIN_MAX_FAILURES", 5)
LOGIN_MAX_FAILURES_PER_ACCOUNT = envint("LOGIN_MAX_FAILURES_PER_ACCOUNT", 30)
LOGIN_LOCK_MINUTES = envint("LOGIN_LOCK_MINUTES", 15)
AXES_FAILURE_LIMIT = LOGIN_MAX_FAILURES
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCK_MINUTES)
AXES_RESET_ON_SUCCESS = True
# A try while locked does not push the end of the lock further out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "lifecert.accounts.lockout.LifeCertAxesHandler"
AXES_LOCKOUT_CALLABLE = "lifecert.accounts.lockout.lockout_response"
# Axes keeps the POST of each failure (AccessAttempt.post_data): mask every
# field of our password forms that is a secret or personal data.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "old_username",
    "old_password",
    "password1",
    "password2",
    "operator_name",
    "operator_phone",
    "operator_id_number",
    "csrfmiddlewaretoken",
]
AXES_VERBOSE = False
# Not in /admin/: every admin change must be audited, and axes' pages are not.
# Lift a lock with ``manage.py axes_reset_username USERNAME`` (or wait).
AXES_ENABLE_ADMIN = False
# The client address (axes, throttles and the audit log all read it through
# lifecert.core.audit.client_ip, i.e. django-ipware): REMOTE_ADDR only, unless
# TRUSTED_PROXY_COUNT says how many proxies of ours stand in front of Django,
# each appending the address it saw to X-Forwarded-For; the client is then the
# entry our outermost proxy wrote, and whatever the client sent before it is
# ignored. (ipware counts the proxies after the first, hence the - 1.)
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1 if TRUSTED_PROXY_COUNT else None
AXES_IPWARE_PROXY_ORDER = "left-most"
AXES_IPWARE_PROXY_TRUSTED_IPS = envlist("TRUSTED_PROXY_IPS", []) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXY_COUNT else ("REMOTE_ADDR",)
)
# A header with fewer entries than proxies means a request that bypassed
# them: fall back to REMOTE_ADDR rather than to no address.
IPWARE_STRICT = False
# Every per-address limit (axes' lockouts, the throttles, the face room's cap
# per address) counts an IPv6 caller by its network of this many bits: one
# subscriber gets a /64 (or more) and may use any address in it. The audit
# log keeps the whole address (lifecert.core.audit.counted_address).
THROTTLE_IPV6_PREFIX = envint("THROTTLE_IPV6_PREFIX", 64)
AXES_CLIENT_IP_CALLABLE = "lifecert.core.audit.axes_client_address"

# Throttles in the shared cache (lifecert/core/throttle.py): tries per window.
THROTTLE_WINDOW_MINUTES = envint("THROTTLE_WINDOW_MINUTES", 15)
CERT_LOGIN_MAX_PER_ADDRESS = envint("CERT_LOGIN_MAX_PER_ADDRESS", 10)
CERT_LOGIN_MAX_PER_NUMBER = envint("CERT_LOGIN_MAX_PER_NUMBER", 30)
REGISTER_MAX_PER_ADDRESS = envint("REGISTER_MAX_PER_ADDRESS", 10)
REGISTER_MAX_PER_NUMBER = envint("REGISTER_MAX_PER_NUMBER", 30)
# Authorization codes (授权码): validity, and wrong tries per account and per
# address (never per unit: a stranger must not be able to lock a unit's code).
AUTH_CODE_VALID_DAYS = envint("AUTH_CODE_VALID_DAYS", 30)
AUTH_CODE_MAX_PER_ACCOUNT = envint("AUTH_CODE_MAX_PER_ACCOUNT", 5)
AUTH_CODE_MAX_PER_ADDRESS = envint("AUTH_CODE_MAX_PER_ADDRESS", 10)

# Certification cycle and face certification.
CERT_CYCLE_MONTHS = envint("CERT_CYCLE_MONTHS", 12)
# The back office's dashboard: a region of at least this many pensions reads
# its cycle figures from a snapshot (backoffice.dashboard_snapshot) at most
# this old; `manage.py refresh_dashboard`, scheduled more often, keeps it fresh.
DASHBOARD_SNAPSHOT_MIN_PENSIONS = envint("DASHBOARD_SNAPSHOT_MIN_PENSIONS", 100_000)
DASHBOARD_SNAPSHOT_SECONDS = envint("DASHBOARD_SNAPSHOT_SECONDS", 600)
FACE_MAX_FAILURES_PER_DAY = envint("FACE_MAX_FAILURES_PER_DAY", 3)
FACE_MATCH_THRESHOLD = envfloat("FACE_MATCH_THRESHOLD", 0.0)  # 0 = engine default
FACE_PER_ACTION_SECONDS = envfloat("FACE_PER_ACTION_SECONDS", 8.0)
FACE_SESSION_SECONDS = envfloat("FACE_SESSION_SECONDS", 120.0)
FACE_MAX_FRAME_BYTES = envint("FACE_MAX_FRAME_BYTES", 400 * 1024)
# Frames a browser on a slow line may send in one request (1 s at 8 fps).
FACE_MAX_BATCH_FRAMES = envint("FACE_MAX_BATCH_FRAMES", 8)
# The browser sends a request at most this often, with the frames captured
# meanwhile: half a second keeps prompts prompt and quarters the requests.
FACE_SEND_INTERVAL_MS = envint("FACE_SEND_INTERVAL_MS", 500)
REQUEST_SIZE_LIMITS = [
    (
        r"^/personal/certify/sessions/[0-9a-f-]+/frames/$",
        FACE_MAX_FRAME_BYTES * FACE_MAX_BATCH_FRAMES + 64 * 1024,
    ),
    (r"^/backoffice/import/$", IMPORT_MAX_BYTES),
    # None: the API answers a body over API_MAX_REQUEST_BYTES (or
    # DATA_UPLOAD_MAX_MEMORY_SIZE) itself, in its error format, before reading
    # it (lifecert.api.views.ApiView); nothing else reads an API body first.
    (r"^/api/v1/", None),
    (r"^/backoffice/evidence/[-\w]+/$", IMPORT_MAX_BYTES),
    (r"^/backoffice/persons/[0-9a-f-]+/photo/$", PHOTO_UPLOAD_MAX_BYTES),
    (r"^/notices/manage/", NOTICE_ATTACHMENT_MAX_BYTES + 256 * 1024),
]
# Tests may fix the challenge ("blink,turn_left"); refused when DEBUG is off.
FACE_FIXED_CHALLENGE = envlist("FACE_FIXED_CHALLENGE", [])
# The actions a challenge draws 2-3 of, in random order.
FACE_ACTIONS = envlist(
    "FACE_ACTIONS", ["blink", "open_mouth", "turn_left", "turn_right", "nod"]
)
# Prompts the server times: each action is revealed after the face was still for
# a random hold in this range; its movement must begin within
# FACE_REACTION_SECONDS of the prompt (plus the session's measured round trip,
# at most 1.5 s): ~1.3 s to hear it and up to ~2 s for an elderly person to
# start; the movements themselves take 0.1-0.25 s to their peak on the clips
# (bench/bench_reaction.py). The wider the holds against that window, the less
# often a replay timed to an earlier session's prompts lands inside it.
FACE_HOLD_MIN_SECONDS = envfloat("FACE_HOLD_MIN_SECONDS", 2.0)
FACE_HOLD_MAX_SECONDS = envfloat("FACE_HOLD_MAX_SECONDS", 8.0)
FACE_REACTION_SECONDS = envfloat("FACE_REACTION_SECONDS", 3.5)
# A batch's claimed capture times may span at most this (8 frames at 8 fps is
# 1 s; the rest is capture and encoding jitter).
FACE_FRAME_SKEW_SECONDS = envfloat("FACE_FRAME_SKEW_SECONDS", 1.5)
# Starts of face certification per person and day (failures: see above).
FACE_MAX_STARTS_PER_DAY = envint("FACE_MAX_STARTS_PER_DAY", 10)
# Face sessions under way at once, across the deployment (0: no limit). A start
# past it is refused with 503 and "try again in a minute", counting as no try:
# an overloaded server answers frames late, and a genuine old person would fail
# the prompts' reaction window (bench_pensioner_load: 36 at once on 2 cores
# rejected most). About 0.07 of a core per session (≈ 1.4 CPU-s over ≈ 20 s):
# ten per core of this machine, with headroom. Set it for all the servers of a
# deployment together.
FACE_MAX_ACTIVE_SESSIONS = envint(
    "FACE_MAX_ACTIVE_SESSIONS", 10 * (os.cpu_count() or 1)
)
# Of those, sessions started from one client address (0: no limit), so that a
# caller with a list of names and numbers cannot fill the room for everyone. A
# start past it is refused the same way. Four: a community worker or a family
# certifies elderly people one after another (one at a time), but a care home
# or a service centre with several phones behind one NAT address may run a few
# at once; a refused genuine start costs a retry a minute later, no try.
FACE_MAX_ACTIVE_PER_ADDRESS = envint("FACE_MAX_ACTIVE_PER_ADDRESS", 4)
# 认证到期提醒 (lifecert/reminders): how many days before the due date the SMS
# goes, how often a refused message is tried, and the class that sends it
# (as EMAIL_BACKEND: ConsoleBackend prints, FileBackend writes under
# SMS_FILE_PATH, LocmemBackend keeps them for tests; a gateway is one class more).
REMINDER_DAYS_BEFORE = envint("REMINDER_DAYS_BEFORE", 30)
REMINDER_MAX_ATTEMPTS = envint("REMINDER_MAX_ATTEMPTS", 3)
SMS_BACKEND = envstr("SMS_BACKEND", "lifecert.reminders.sms.ConsoleBackend")
SMS_FILE_PATH = Path(envstr("SMS_FILE_PATH", str(VAR_DIR / "sms")))
# Days the frames of a failed session are kept for the manual review.
FACE_REVIEW_KEEP_DAYS = envint("FACE_REVIEW_KEEP_DAYS", 30)
# Keys that encrypt biometrics at rest (Fernet keys, newest first, separated by
# commas or newlines; rotate with ``manage.py rotate_data_key``). The published
# development key serves only while DEBUG is on.
_DEV_DATA_KEY = "bGlmZWNlcnQtZGV2LW9ubHktZGF0YS1rZXktMDAwMDA="
LIFECERT_DATA_KEYS = [
    key for key in re.split(r"[,\s]+", envstr("LIFECERT_DATA_KEYS")) if key
] or ([_DEV_DATA_KEY] if DEBUG else [])
COMMITMENT_LETTER_VERSION = envstr("COMMITMENT_LETTER_VERSION", "2021-01")

# Where the test photos and clips live (never copied into the project).
LIFECERT_SHARED_DIR = Path(
    envstr("LIFECERT_SHARED_DIR", str((BASE_DIR.parent / "shared").resolve()))
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
    # Axes logs every wrong password as a warning; lockouts are in the audit log.
    "loggers": {"axes": {"level": envstr("AXES_LOG_LEVEL", "ERROR")}},
}

# An optional, git-ignored override, read before the production guards below.
with contextlib.suppress(ImportError):
    from lifecert.local_settings import *  # noqa: F403

if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be set to a long random value.")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured("Production needs DATABASE_URL (PostgreSQL).")
    if FACE_FIXED_CHALLENGE:
        raise ImproperlyConfigured(
            "FACE_FIXED_CHALLENGE is a test hook: unset it when DEBUG is off."
        )
    if not LIFECERT_DATA_KEYS or _DEV_DATA_KEY in LIFECERT_DATA_KEYS:
        raise ImproperlyConfigured(
            "LIFECERT_DATA_KEYS (or LIFECERT_DATA_KEYS_FILE) must hold the keys that"
            " encrypt biometrics; the development key is refused."
        )
for _number, _key in enumerate(LIFECERT_DATA_KEYS, start=1):
    try:
        Fernet(_key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ImproperlyConfigured(
            f"LIFECERT_DATA_KEYS: key {_number} is not a Fernet key (32 url-safe"
            " base64-encoded bytes)."
        ) from None
