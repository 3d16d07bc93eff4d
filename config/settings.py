"""Guichet settings: one file, every knob an environment variable (documented in README and .env.example)."""

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from guichet.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("GUICHET_DATA_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Demo only: a random key kept in the data directory so that sessions survive a restart.
    path = DATA_DIR / "demo_secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _audit_chain_keys() -> tuple[str, list[str]]:
    """The audit journal's HMAC keys (guichet/audit/keys.py): the current one, then the older ones still verified.

    They live outside the database, so that someone able to rewrite the journal cannot sign it again.
    """
    current = env_str("AUDIT_CHAIN_KEY")
    if not current:
        if not DEBUG:
            raise ImproperlyConfigured(
                "AUDIT_CHAIN_KEY must be set when DEBUG is off: a random string of at least 32 characters, "
                "kept outside the database (see README, Configuration)."
            )
        # Demo only, as for SECRET_KEY: a random key kept in the data directory.
        path = DATA_DIR / "demo_audit_chain_key"
        if not path.exists():
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        current = path.read_text().strip()
    old = env_list("AUDIT_CHAIN_OLD_KEYS", [])
    for name, key in [("AUDIT_CHAIN_KEY", current), *(("AUDIT_CHAIN_OLD_KEYS", key) for key in old)]:
        if len(key) < 32:
            raise ImproperlyConfigured(f"{name}: every key must be at least 32 characters long.")
    return current, old


AUDIT_CHAIN_KEY, AUDIT_CHAIN_OLD_KEYS = _audit_chain_keys()
# Where `guichet audit_publish` appends each day's head of the journal, and who receives it by email (optional).
AUDIT_HEADS_FILE = Path(env_str("AUDIT_HEADS_FILE") or DATA_DIR / "audit_heads.txt")
AUDIT_HEADS_EMAIL = env_list("AUDIT_HEADS_EMAIL", [])
# How long an event may wait to be chained before `guichet audit_verify` reports it (writers chain events at once
# when they can; `guichet audit_sequence`, every minute, chains those left behind).
AUDIT_CHAIN_GRACE_SECONDS = env_int("AUDIT_CHAIN_GRACE_SECONDS", 600)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "guichet.core",
    "guichet.accounts",
    "guichet.audit",
    "guichet.catalog",
    "guichet.rights",
    "guichet.notifications",
    "guichet.procedures",
    "guichet.appointments",
    "guichet.mediation",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "guichet.core.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Oversized bodies refused before anything reads them (the CSRF check, in process_view, comes after).
    "guichet.core.middleware.UploadSizeLimitMiddleware",
    # Second factor and session lifetimes (guichet/accounts/middleware.py): after auth and messages.
    "django_otp.middleware.OTPMiddleware",
    "guichet.accounts.middleware.SessionLimitsMiddleware",
    "guichet.accounts.middleware.StaffSecondFactorMiddleware",
    "guichet.mediation.middleware.ActingMiddleware",  # re-checks the mandate on every acting request
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "guichet" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "string_if_invalid": "" if not env_bool("TEMPLATE_STRICT", False) else "INVALID[%s]",
        },
    },
]

# Database: SQLite file by default (zero set-up), PostgreSQL in production through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'guichet.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: the database by default (shared by every worker, no extra service), Redis when REDIS_URL is set.
_redis_url = env_str("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "guichet_cache"}
    )
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["guichet.accounts.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "core:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
EMAIL_VERIFICATION_MAX_AGE = env_int("EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 3600)

# Brute-force protection, keyed on (account, IP): a counter at a France Services desk shares one address.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
# Across every address: past this many login attempts on one account within the window, only browsers that logged
# in to it before, or that open the link then emailed to it, may still try its password (an attacker who rotates
# addresses is stopped, the person is not locked out). Such a browser is remembered this many days.
LOGIN_ACCOUNT_MAX_FAILURES = env_int("LOGIN_ACCOUNT_MAX_FAILURES", 20)
LOGIN_ACCOUNT_WINDOW_SECONDS = env_int("LOGIN_ACCOUNT_WINDOW_SECONDS", 24 * 3600)
LOGIN_TRUSTED_BROWSER_DAYS = env_int("LOGIN_TRUSTED_BROWSER_DAYS", 180)
# Password-reset and registration requests per hour and per client address.
PASSWORD_RESETS_PER_IP = env_int("PASSWORD_RESETS_PER_IP", 30)
REGISTRATIONS_PER_IP = env_int("REGISTRATIONS_PER_IP", 20)

# Sessions: staff sessions end after inactivity and at most after a working day; citizens stay logged in
# up to SESSION_COOKIE_AGE (7 days) from their login.
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 12 * 3600)

# Second factor (TOTP) for every staff role. Failed codes allowed per account before a pause.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER") or "Guichet"
OTP_MAX_FAILURES = env_int("OTP_MAX_FAILURES", 5)
OTP_LOCKOUT_SECONDS = env_int("OTP_LOCKOUT_SECONDS", 15 * 60)
OTP_BACKUP_CODES = 10
# Staff enrol their second factor only through a one-time link sent by an administrator, valid this long.
STAFF_ENROLMENT_LINK_SECONDS = env_int("STAFF_ENROLMENT_LINK_SECONDS", 24 * 3600)

# OpenID Connect login (FranceConnect or any compatible provider). Off unless a client id and an issuer or
# a discovery URL are set. The endpoints and keys come from the discovery document.
OIDC_ISSUER = (env_str("OIDC_ISSUER") or "").rstrip("/")
OIDC_DISCOVERY_URL = env_str("OIDC_DISCOVERY_URL") or (
    f"{OIDC_ISSUER}/.well-known/openid-configuration" if OIDC_ISSUER else ""
)
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID") or ""
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET") or ""
OIDC_SCOPES = env_str("OIDC_SCOPES") or "openid given_name family_name birthdate birthplace email"
OIDC_ACR_VALUES = env_str("OIDC_ACR_VALUES") or ""
OIDC_SIGNING_ALGORITHMS = env_list("OIDC_SIGNING_ALGORITHMS", ["RS256", "ES256"])
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME") or "FranceConnect"
OIDC_TIMEOUT_SECONDS = env_int("OIDC_TIMEOUT_SECONDS", 10)
OIDC_CLOCK_SKEW_SECONDS = env_int("OIDC_CLOCK_SKEW_SECONDS", 60)
OIDC_VERIFY_TLS = env_bool("OIDC_VERIFY_TLS", True)

# Requests per minute and per client address on the public rights API (each one runs a simulation).
RIGHTS_API_RATE_LIMIT = env_int("RIGHTS_API_RATE_LIMIT", 60)
# What one request to the rights API may ask (guichet/rights/budget.py), checked before computing, and its time.
RIGHTS_API_MAX_BYTES = env_int("RIGHTS_API_MAX_BYTES", 512 * 1024)
RIGHTS_API_MAX_PERSONS = env_int("RIGHTS_API_MAX_PERSONS", 30)
RIGHTS_API_MAX_INSTANCES = env_int("RIGHTS_API_MAX_INSTANCES", 30)
RIGHTS_API_MAX_COMPUTATIONS = env_int("RIGHTS_API_MAX_COMPUTATIONS", 200)
RIGHTS_API_MAX_PERIODS = env_int("RIGHTS_API_MAX_PERIODS", 14)
RIGHTS_API_YEARS_BACK = env_int("RIGHTS_API_YEARS_BACK", 6)
RIGHTS_API_YEARS_AHEAD = env_int("RIGHTS_API_YEARS_AHEAD", 1)
RIGHTS_API_TIME_LIMIT_SECONDS = env_int("RIGHTS_API_TIME_LIMIT_SECONDS", 10)
# Load the rights engine and run a first calculation when a server process starts (see config/wsgi.py).
RIGHTS_WARM_UP = env_bool("RIGHTS_WARM_UP", True)

# Background tasks (Django's tasks API): in the database, run by `guichet db_worker`; at once in the demo.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND")
        or ("django_tasks.backends.immediate.ImmediateBackend" if DEBUG else "django_tasks_db.backend.DatabaseBackend")
    }
}

# Notifications: one backend per channel. SMS go through a gateway interface; the fake one keeps them in memory.
NOTIFICATION_CHANNELS = {
    "email": "guichet.notifications.channels.email.EmailChannel",
    "sms": "guichet.notifications.channels.sms.SmsChannel",
    "postal": "guichet.notifications.channels.postal.PostalChannel",
}
SMS_GATEWAY = env_str("SMS_GATEWAY") or "guichet.notifications.channels.sms.FakeSmsGateway"
# No SMS between these hours (local time): they wait until the end of the quiet period.
NOTIFICATION_QUIET_HOURS = (env_int("QUIET_HOURS_START", 21), env_int("QUIET_HOURS_END", 8))

# Appointments: a seat freed by a cancellation goes back on sale after a random delay (minutes), and
# availability searches and bookings are limited per account and per client address (fail closed).
APPOINTMENTS_RELEASE_DELAY_MINUTES = (
    env_int("APPOINTMENTS_RELEASE_DELAY_MIN", 5),
    env_int("APPOINTMENTS_RELEASE_DELAY_MAX", 30),
)
APPOINTMENTS_SEARCHES_PER_ACCOUNT = env_int("APPOINTMENTS_SEARCHES_PER_ACCOUNT", 60)  # per 10 minutes
APPOINTMENTS_SEARCHES_PER_IP = env_int("APPOINTMENTS_SEARCHES_PER_IP", 600)  # per 10 minutes
APPOINTMENTS_BOOKINGS_PER_ACCOUNT = env_int("APPOINTMENTS_BOOKINGS_PER_ACCOUNT", 10)  # per day
APPOINTMENTS_BOOKINGS_PER_IP = env_int("APPOINTMENTS_BOOKINGS_PER_IP", 100)  # per hour

# Internationalisation: French first, English available.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "guichet" / "static"]
STATIC_ROOT = DATA_DIR / "static"
# Uploaded files live outside the web root and are served only through permission-checked views.
PRIVATE_STORAGE_ROOT = DATA_DIR / "private"
# Procedures: largest supporting document accepted (bytes), and how many past decisions an expected delay needs.
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
# Largest request body accepted (bytes), refused with 413 from its Content-Length before it is read
# (guichet/core/middleware.py): room for the documents of one step of a procedure (five) and the form around them.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 5 * DOCUMENT_MAX_BYTES + 1024 * 1024)
PROCEDURE_DELAY_MIN_DECISIONS = env_int("PROCEDURE_DELAY_MIN_DECISIONS", 5)

# Email.
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Guichet <ne-pas-repondre@guichet.localhost>"

# Security headers. Cookies are Secure everywhere but in the local demo (served over plain HTTP).
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 7 * 24 * 3600)
X_FRAME_OPTIONS = "DENY"
# The household form's resources step sends one field per member, month and kind in one request: 12 × 12 × 7 for
# the largest household, over Django's default limit of 1000 fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# HTTPS only, remembered by browsers (HSTS): a year by default, off in the demo (plain HTTP). Subdomains and the
# browsers' preload list are opt-in: both bind every subdomain of the host to HTTPS, and are slow to undo.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Browser features no page uses, refused to every page and to anything it embeds (Permissions-Policy header,
# guichet/core/middleware.py). The variable replaces the whole header.
PERMISSIONS_POLICY = env_str("PERMISSIONS_POLICY") or ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the site append to X-Forwarded-For (the client's address is the one the outermost
# of them saw): 1 behind one proxy, 2 behind a load balancer and a proxy; 0 when the site is reached directly.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1 if BEHIND_PROXY else 0)


def _oidc_origin() -> list[str]:
    from urllib.parse import urlsplit

    url = urlsplit(OIDC_ISSUER or OIDC_DISCOVERY_URL)
    return [f"{url.scheme}://{url.netloc}"] if url.scheme and url.netloc else []


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        # Logging out of the identity provider is a redirect after the logout form: its origin must be allowed.
        "form-action": [SELF, *_oidc_origin()],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {
        name: {"level": "WARNING"}
        for name in ("django.db.backends", "numexpr", "weasyprint", "fontTools", "django_tasks")
    },
}
