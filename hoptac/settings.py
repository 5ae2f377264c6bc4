"""Settings, read from the environment only (``HOPTAC_*``), with safe defaults.

Every variable is listed in the README. Nothing here needs another service: the default
database is a SQLite file in the data directory.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"HOPTAC_{name}", default)


def envbool(name: str, default: bool = False) -> bool:
    value = env(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = env(name, "")
    return int(value) if value.strip() else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The key from the environment, or one generated once into the data directory."""
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Written with O_EXCL so that two processes starting together keep one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", False)
# A demonstration installation (``hoptac run --demo`` sets it): the published demo accounts
# are allowed. Anywhere else ``check --deploy`` fails while they exist (coops/checks.py).
DEMO = envbool("DEMO", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "hoptac.core",
    "hoptac.accounts",
    "hoptac.coops",
    "hoptac.outbox",
    "hoptac.catalog",
    "hoptac.ledger",
    "hoptac.offtake",
    "hoptac.inventory",
    "hoptac.shop",
    "hoptac.live",
    "hoptac.trace",
    "hoptac.notify",
    "hoptac.federation",
    "hoptac.sync",
    "hoptac.api",
    "hoptac.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
]

MIDDLEWARE = [
    # First: a body over MAX_BODY is refused before anything reads it (core/bodylimit.py).
    "hoptac.core.bodylimit.BodyLimitMiddleware",
    # Public pages kept for visitors without a session, served before everything below
    # (core/pagecache.py); what it keeps already carries every header added below.
    "hoptac.core.pagecache.PageCacheMiddleware",
    # CSP, Permissions-Policy, and no-store on private pages, static files included.
    "hoptac.core.security.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Pages are compressed for weak mobile links; Django's GZip adds the BREACH mitigation.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hoptac.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hoptac.urls"
WSGI_APPLICATION = "hoptac.wsgi.application"

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
                "hoptac.core.context_processors.platform",
            ],
            "builtins": ["hoptac.core.templatetags.hoptac"],
        },
    }
]

# --- Database -------------------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "hoptac.sqlite3"
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{SQLITE_PATH}")
# PostgreSQL: each worker process keeps its connection (10 minutes by default), checked
# before reuse (CONN_HEALTH_CHECKS), instead of a new connection per request — that
# connection cost made every page slower than on SQLite (issue 15). Why not psycopg's pool:
# see docs/architecture.md, "Province scale". SQLite opens a file: nothing to keep.
_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://", "pgsql://"))
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=envint("DB_CONN_MAX_AGE", 600 if _POSTGRES else 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # One writer at a time, taken at BEGIN: no "database is locked" mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("SQLITE_TIMEOUT", 20),
        "init_command": ("PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["hoptac.accounts.backends.PhoneOrEmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins allowed per account (and per address) in the window before a pause.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = envint("LOGIN_FAILURE_WINDOW", 15 * 60)
SESSION_COOKIE_AGE = envint("SESSION_AGE", 14 * 24 * 3600)
# Password reset by SMS code (accounts.PasswordResetCode, notify/password_reset.py): how
# long a code lasts, how many wrong tries burn it, and how many codes one phone (and, four
# times more, one address) may ask for in the window.
PASSWORD_RESET_MINUTES = envint("PASSWORD_RESET_MINUTES", 15)
PASSWORD_RESET_CODE_TRIES = 3
PASSWORD_RESET_REQUEST_LIMIT = envint("PASSWORD_RESET_LIMIT", 3)
PASSWORD_RESET_REQUEST_WINDOW_SECONDS = envint("PASSWORD_RESET_WINDOW", 3600)
# Every answer to a code request takes at least this long, account or not (no timing oracle).
PASSWORD_RESET_MIN_SECONDS = 0.05

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["hoptac.formats"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"  # public uploads: product photos, logos (hoptac.core.media)
# Private uploads (certificate scans, anything about a member): never under MEDIA_ROOT, served
# only by views that check the permission (hoptac.core.media).
PRIVATE_MEDIA_ROOT = DATA_DIR / "private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or not envbool("STATIC_MANIFEST", not DEBUG)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_IMPORT_BYTES = envint("MAX_IMPORT_BYTES", 5 * 1024 * 1024)
# What an imported workbook may hold (hoptac.lib.xlsx.Limits, read by coops.excel): checked
# before openpyxl opens it and again while it streams, so a crafted file is refused at once.
MAX_IMPORT_ROWS = envint("MAX_IMPORT_ROWS", 5000)  # households (rows with data) per file
MAX_IMPORT_SHEET_ROWS = 2 * MAX_IMPORT_ROWS  # the last row of a sheet, empty rows counted
MAX_IMPORT_COLUMNS = 60
MAX_IMPORT_CELLS = 200_000  # every sheet together, empty styled cells counted
MAX_IMPORT_UNPACKED_BYTES = envint("MAX_IMPORT_UNPACKED_BYTES", 20 * 1024 * 1024)
# The largest request body accepted at all (413 above it, before anything is read): room
# for the largest upload (a photo, a document or a member import) and its form.
MAX_BODY = max(envint("MAX_BODY", 10 * 1024 * 1024), MAX_IMPORT_BYTES + 1024 * 1024)

# --- Security -------------------------------------------------------------------------
HTTPS = envbool("HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# How many reverse proxies of ours stand in front of the app. 0: the visitor's address is
# REMOTE_ADDR; n: the n-th address from the right of X-Forwarded-For (accounts/limiter.py).
# HOPTAC_BEHIND_PROXY, the older switch, means one proxy.
BEHIND_PROXY = envbool("BEHIND_PROXY", False)
TRUSTED_PROXIES = max(0, envint("TRUSTED_PROXIES", 1 if BEHIND_PROXY else 0))
if BEHIND_PROXY or TRUSTED_PROXIES:
    # Our proxy terminates TLS and sets (or overwrites) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Mail, cache, logging -------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "hoptac@localhost")
# The provincial shape shares one cache (public pages, their generations, rate limits)
# across processes and servers in Redis; the embedded one keeps it in each process.
# Room for the public pages of a busy marketplace in two languages, compressed and not (a few
# KB each): Django's default of 300 entries would push out the generation and the limiters.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 3000},
    }
}
# Public shop, product and marketplace pages are kept this long by the server (core/pagecache.py).
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 30)
# Where such pages live (trace pages, the GS1 resolver, shops, products, marketplace, sitemap):
# only requests under these paths look in the cache.
PAGE_CACHE_PATHS = ("/t/", "/01/", "/s/", "/cho/", "/sitemap.xml")
# Calls a minute one field device may make to the sync API (push and pull), api/sync.py.
SYNC_REQUESTS_PER_MINUTE = envint("SYNC_REQUESTS_PER_MINUTE", 240)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Webhook secrets in addresses (/hooks/…/<secret>/) are written as *** (core/redact.py).
    "filters": {"redact": {"()": "hoptac.core.redact.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's request lines, through the same filter.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # The worker (huey's consumer) logs through its own handler.
        "huey": {"level": "INFO", "propagate": False},
    },
}


# --- Messages: outbox, gateways and the worker ------------------------------------------
def _templates(value: str) -> dict[str, str]:
    """``announcement=123,receipt=456`` → {"announcement": "123", "receipt": "456"}."""
    pairs = (item.split("=", 1) for item in value.split(",") if "=" in item)
    return {key.strip(): val.strip() for key, val in pairs if key.strip() and val.strip()}


OUTBOX = {
    # off: nothing is woken after commit (tests); auto: `hoptac run` starts a worker
    # process beside the web server; external: run `hoptac worker` yourself.
    "WORKER": env("WORKER", "auto"),
    "LEASE_SECONDS": envint("OUTBOX_LEASE", 300),
    # file (default: written under the data directory, nothing leaves the machine),
    # console, esms or speedsms.
    "SMS_BACKEND": env("SMS_BACKEND", "file"),
    "FILE_DIR": env("OUTBOX_DIR", str(DATA_DIR / "outbox")),
    "ESMS": {
        "URL": env("ESMS_URL", "https://rest.esms.vn"),
        "API_KEY": env("ESMS_API_KEY"),
        "SECRET_KEY": env("ESMS_SECRET_KEY"),
        "BRANDNAME": env("ESMS_BRANDNAME"),
        "SMS_TYPE": env("ESMS_SMS_TYPE", "2"),
    },
    "SPEEDSMS": {
        "URL": env("SPEEDSMS_URL", "https://api.speedsms.vn"),
        "TOKEN": env("SPEEDSMS_TOKEN"),
        "SENDER": env("SPEEDSMS_SENDER"),
        "SMS_TYPE": envint("SPEEDSMS_SMS_TYPE", 2),
    },
    "ZALO_BACKEND": env("ZALO_BACKEND", "zns"),  # zns, or file for development
    "ZALO": {
        "APP_ID": env("ZALO_APP_ID"),
        "SECRET_KEY": env("ZALO_SECRET_KEY"),
        "REFRESH_TOKEN": env("ZALO_REFRESH_TOKEN"),  # the first one; later ones are stored
        "OAUTH_URL": env("ZALO_OAUTH_URL", "https://oauth.zaloapp.com"),
        "API_URL": env("ZALO_API_URL", "https://business.openapi.zalo.me"),
        "TEMPLATES": _templates(env("ZALO_TEMPLATES")),
    },
    # Secrets in the callback and inbound-SMS addresses, one per gateway: /hooks/<gateway>/<secret>/…
    "HOOK_SECRETS": {
        "esms": env("ESMS_HOOK_SECRET"),
        "speedsms": env("SPEEDSMS_HOOK_SECRET"),
        "zalo": env("ZALO_HOOK_SECRET"),
    },
    "TIMEOUT_SECONDS": envint("GATEWAY_TIMEOUT", 15),
}

# --- Backups (hoptac.core.backup) --------------------------------------------------------
BACKUP = {
    # Where `hoptac backup` (by default) and the worker's daily backup write their archives:
    # e.g. a USB disk on the office PC. The chair sets how many daily archives to keep.
    "DIR": Path(env("BACKUP_DIR", str(DATA_DIR / "backups"))),
    # The worker checks every hour and makes a backup when the last one is ~a day old.
    "DAILY": envbool("BACKUP_DAILY", True),
}

# --- Large exports (hoptac.core.exports; docs/architecture.md "Large exports in the worker") ---
EXPORTS = {
    # An export of more rows than this is written by the worker (a page with a progress bar,
    # then a download link); a smaller one is answered at once: 2,000 rows of the widest
    # export (19 columns) take about 0.8 s of CPU to write, in a few MB (docs/architecture.md,
    # "Large exports in the worker").
    "INLINE_ROWS": envint("EXPORT_INLINE_ROWS", 2000),
    # How long a written file is kept for download before the worker deletes it.
    "KEEP_HOURS": envint("EXPORT_KEEP_HOURS", 24),
}

REDIS_URL = env("REDIS_URL")
HUEY = {
    "name": "hoptac",
    "immediate": False,
    "results": False,
    "utc": True,
    "consumer": {
        "workers": envint("WORKER_THREADS", 2),
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
    },
}
# With a shared cache, each process also remembers kept public pages and the catalogue's
# generation this long (core/pagecache.py): one round trip to Redis a second, not one a visit.
PAGE_CACHE_LOCAL_SECONDS = float(env("PAGE_CACHE_LOCAL_SECONDS", "1")) if REDIS_URL else 0.0
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("CACHE_REDIS_URL", REDIS_URL),
            "KEY_PREFIX": "hoptac",
        }
    }
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")})

# Messages ("Receipt PTM-000230 recorded.") travel in a signed cookie, in the session only
# when too large for it: a POST that redirects writes no session row for them, nor does
# the page that shows them (the receipt POST counts its queries). The cookie is signed for
# the user it was written for: on a shared PC nobody else reads it (core/messages.py).
MESSAGE_STORAGE = "hoptac.core.messages.OwnFallbackStorage"

# The platform's own name and the province served by default (Tuyên Quang, code 8).
PLATFORM_NAME = env("PLATFORM_NAME", "Hợp Tác")
DEFAULT_PROVINCE_CODE = envint("DEFAULT_PROVINCE", 8)
# Serve the public uploads (logos, product photos) at /media/ from the app itself: right for
# the embedded shape. Private uploads are served by their checked views whatever this says.
SERVE_MEDIA = envbool("SERVE_MEDIA", True)
PUBLIC_URL = env("PUBLIC_URL", "")  # address in QR labels, e.g. https://hoptac.vn; "": the request's host
