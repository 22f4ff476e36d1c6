"""Etalage settings. Production differs from development only through environment variables.

Every variable read here is listed in docs/configuration.md.
"""

from __future__ import annotations

import ipaddress
import secrets
import warnings
from pathlib import Path

import dj_database_url
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.errors import SetupError

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("ETALAGE_DATA_DIR") or BASE_DIR / ".data").resolve()

DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in .data/."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    try:
        if not path.exists():
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()
    except OSError as exc:
        raise SetupError(
            f"cannot keep a development secret key in {path} ({exc.strerror or exc}); "
            "make .data/ writable, point ETALAGE_DATA_DIR elsewhere, or set SECRET_KEY"
        ) from None


SECRET_KEY = _secret_key()

# --- Hosts -----------------------------------------------------------------------------
# The platform lives at PLATFORM_DOMAIN; every shop at <slug>.<PLATFORM_DOMAIN> and at its
# custom domains. shops.middleware.ShopMiddleware serves only those hosts (the platform's
# and the ones in the shops' Domain table) and answers 404 to any other, so the Domain
# table is the host allow-list and ALLOWED_HOSTS admits every host by default: custom
# domains cannot be listed in advance.
PLATFORM_DOMAIN = env_str("PLATFORM_DOMAIN", "localhost").lower()
# How links made outside a request (emails, webhooks, feeds) reach the platform: its
# scheme and, when it is not the scheme's default, its port (`make run` sets the port).
PLATFORM_SCHEME = env_str("PLATFORM_SCHEME", "http")
PLATFORM_PORT = env_int("PLATFORM_PORT", 0)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", default=False)
# How many proxies of ours add X-Forwarded-For in front of the app: the client address of
# the rate limits is read that far from the header's right end. 0: the header is ignored.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if env_bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)

# --- Applications: public schema (SHARED_APPS) and every shop's schema (TENANT_APPS) ----
SHARED_APPS = [
    "django_tenants",
    "shops",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django.contrib.messages",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    # Django's admin, its site the back office's (shops.backoffice.site)
    "shops.backoffice.apps.BackofficeAdminConfig",
    "shops.backoffice",
    "shops.accounts",
    "shops.audit",
    "shops.retention",
    "shops.privacy",
    "shops.consent",
    "shops.storefront",
    "shops.posts",
    "shops.channels",
    "shops.insights",
    "catalog",
    "orders",
    "reviews",
    "shops.api",
    "shops.webhooks",
    "shops.demo",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "shops.Shop"
TENANT_DOMAIN_MODEL = "shops.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenants"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Issue SET search_path once per connection and schema switch, not before every query.
TENANT_LIMIT_SET_CALLS = True
# migrate_schemas skips schemas that are already up to date (one query for all of them).
GET_EXECUTOR_FUNCTION = "shops.migration_executor.get_executor"
TENANT_MULTIPROCESSING_MAX_PROCESSES = env_int("MIGRATE_PROCESSES", 2)

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "admin:login"
# Password reset, "find my shop" and shoppers' "My data" requests (shops/ratelimits.py;
# "off" for none), each counted apart: per email address (a request over it gets the
# same answer and sends nothing, so nobody can flood an inbox) and per client address
# (over it, a 429 page).
ACCOUNTS_RATE_EMAIL = env_str("ACCOUNTS_RATE_EMAIL", "3/h")
ACCOUNTS_RATE_ADDRESS = env_str("ACCOUNTS_RATE_ADDRESS", "30/h")
# A password reset link works this long (Django's own setting, in seconds)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)

# Static files and compression come before the shop routing: neither needs a shop, and
# WhiteNoise answers /static/ without one. GZip compresses HTML, JSON and the streamed
# feeds for clients that accept it (Django adds random padding against BREACH).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "shops.middleware.ShopMiddleware",
    "shops.middleware.NulQueryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shops.audit.middleware.AuditActorMiddleware",
    "shops.accounts.middleware.StaffRoleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# Tests only: the number of queries of each request in an X-Db-Queries header
if env_bool("DB_QUERY_COUNT_HEADER", default=False):
    MIDDLEWARE.insert(0, "config.query_count.QueryCountMiddleware")
# The public schema has no session table; messages travel in a signed cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

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
                "shops.context_processors.platform",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database --------------------------------------------------------------------------
# Connections persist (DB_CONN_MAX_AGE seconds; 0 closes each at the end of its request) and
# are checked before a request reuses one, so a restarted server costs no failed request.
DATABASE_URL = env_str("DATABASE_URL")
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60)
if DATABASE_URL:
    try:
        _database = dj_database_url.parse(
            DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL ({exc})") from None
    if _database.get("ENGINE") not in (
        "django.db.backends.postgresql",
        "django.db.backends.postgresql_psycopg2",
    ):
        raise ImproperlyConfigured(
            "DATABASE_URL must point to PostgreSQL (postgresql://user:password@host:port/name)"
        )
    _database["ENGINE"] = "config.db"
else:
    _database = {
        "ENGINE": "config.db",
        "NAME": "etalage",
        "EMBEDDED_PGDATA": str(DATA_DIR / "postgres"),
        "CONN_MAX_AGE": DB_CONN_MAX_AGE,
        "CONN_HEALTH_CHECKS": True,
    }
_database.setdefault("TEST", {})["NAME"] = env_str("TEST_DATABASE_NAME") or None
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: the broker, the cache and the rate limits -----------------------------------
# CELERY_BROKER_URL and REDIS_URL point at Redis servers; each one unset uses the embedded
# Redis (config/embedded_redis.py) on loopback EMBEDDED_REDIS_PORT, which `make run` starts
# (the test session starts one of its own). Every process shares it: the worker, the beat
# and every web process see one cache and count one rate limit.
EMBEDDED_REDIS_PORT = env_int("EMBEDDED_REDIS_PORT", 6479)
_EMBEDDED_REDIS = f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}"
REDIS_URL = env_str("REDIS_URL") or f"{_EMBEDDED_REDIS}/1"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or f"{_EMBEDDED_REDIS}/0"
EMBEDDED_REDIS = not (env_str("REDIS_URL") and env_str("CELERY_BROKER_URL"))

# The cache answers a miss (and the rate limits let the request through) when Redis is
# down, after at most REDIS_TIMEOUT_SECONDS: no request fails because the cache is away.
REDIS_TIMEOUT_SECONDS = float(env_str("REDIS_TIMEOUT_SECONDS", "0.5"))
CACHES = {
    "default": {
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "etalage"),
        "OPTIONS": {
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
        },
    }
}

# --- Celery: always a real broker; no task runs inside a request ------------------------
# (the test suite runs tasks eagerly, by its own choice, except where it starts a worker)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_TENANT_CACHE_SECONDS = 30
# A request that queues work never waits on a broker that is down: one quick try, then
# the work waits in the database for the beat's sweeps.
# A broker that accepts the connection but never answers (hung, half-open) costs at most
# BROKER_TIMEOUT_SECONDS too (socket_timeout: synchronous commands such as a publish; the
# worker's BRPOP runs in its event loop and is not cut short by it). Measured: a publish
# to a stopped broker raises in ~2 ms, to a silent one in ~1 s.
BROKER_TIMEOUT_SECONDS = float(env_str("BROKER_TIMEOUT_SECONDS", "1"))
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
    "socket_timeout": BROKER_TIMEOUT_SECONDS,
    "max_retries": 0,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Work whose queueing failed is in the database (outbox rows past a connection's position,
# pending images, queued imports, webhook deliveries, unsent order emails); these sweeps
# queue it again, every QUEUE_SWEEP_SECONDS, once it is QUEUE_SWEEP_AFTER_SECONDS old
# (younger work still has its own task coming).
QUEUE_SWEEP_SECONDS = env_int("QUEUE_SWEEP_SECONDS", 60)
QUEUE_SWEEP_AFTER_SECONDS = env_int("QUEUE_SWEEP_AFTER_SECONDS", 60)
# Processes of the worker that `make run` starts
RUN_WORKER_CONCURRENCY = env_int("RUN_WORKER_CONCURRENCY", 2)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Partner API (shops/api, shops/webhooks), run in every shop
    "webhooks-catalog-events": {
        "task": "shops.for_each_shop",
        "schedule": env_int("WEBHOOK_CATALOG_POLL_SECONDS", 30),
        "args": ["webhooks.catalog_events"],
    },
    "webhooks-events-prune": {  # events past WEBHOOK_EVENT_RETENTION_DAYS
        "task": "shops.for_each_shop",
        "schedule": 3600,
        "args": ["webhooks.events_prune"],
    },
    "webhooks-deliveries-due": {  # retries, and deliveries whose queueing failed
        "task": "shops.for_each_shop",
        "schedule": QUEUE_SWEEP_SECONDS,
        "args": ["webhooks.deliveries_due"],
    },
    "catalog-sweep": {  # pending images, queued imports
        "task": "shops.for_each_shop",
        "schedule": QUEUE_SWEEP_SECONDS,
        "args": ["catalog.sweep"],
    },
    "channels-sweep": {  # connections behind the catalog outbox
        "task": "shops.for_each_shop",
        "schedule": QUEUE_SWEEP_SECONDS,
        "args": ["channels.sweep"],
    },
    "orders-emails-sweep": {  # order emails not sent
        "task": "shops.for_each_shop",
        "schedule": QUEUE_SWEEP_SECONDS,
        "args": ["orders.emails_sweep"],
    },
    # hosts not yet registered at Stripe for wallets (orders.wallets); less often than
    # the others: while Stripe is unreachable each queued run retries on its own too
    "orders-wallet-domains-sweep": {
        "task": "shops.for_each_shop",
        "schedule": env_int("WALLET_DOMAINS_SWEEP_SECONDS", 600),
        "args": ["orders.wallet_domains_sweep"],
    },
    "api-idempotency-expire": {
        "task": "shops.for_each_shop",
        "schedule": 86400,
        "args": ["api.idempotency_expire"],
    },
    # each shop's retention policy (shops.retention): old checkouts deleted, old orders
    # anonymised (shops.privacy.services.retention_apply)
    "privacy-retention-apply": {
        "task": "shops.for_each_shop",
        "schedule": 86400,
        "args": ["privacy.retention_apply"],
    },
}

# --- Secrets shops store (shops.secrets): their own Stripe keys, channel access tokens ---
# Fernet keys (url-safe base64, 32 bytes each; make one with `python -c "from
# cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`), comma-
# separated, newest first: a secret is encrypted with the first key and read with any.
# To change the key: put the new one first, run `manage.py rotate_secrets` (it re-encrypts
# every shop's secrets with the first key), then remove the old one from the list.
SECRETS_KEYS = env_list("SECRETS_KEYS")
# The single key of earlier versions, still read (and used to encrypt when SECRETS_KEYS is
# unset). With neither set, a key derived from SECRET_KEY encrypts; it is always read, so
# secrets written under it stay readable, but changing SECRET_KEY then makes them
# unreadable until they are entered again (the admin says which shop cannot sell or sync).
PAYMENT_CREDENTIALS_KEY = env_str("PAYMENT_CREDENTIALS_KEY")

# --- Stripe and orders (used by the orders app) -----------------------------------------
# The platform's keys: Stripe Connect direct charges on each shop's connected account.
# A shop may instead store its own keys (encrypted with SECRETS_KEYS, below).
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_JS_URL = env_str("STRIPE_JS_URL", "https://js.stripe.com/v3/")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10)
# Platform fee on Connect charges, in hundredths of a percent (250 = 2.5 %)
STRIPE_PLATFORM_FEE_BASIS_POINTS = env_int("STRIPE_PLATFORM_FEE_BASIS_POINTS", 0)
# The connected accounts "Connect with Stripe" creates: "standard" (the merchant gets
# Stripe's full dashboard; Stripe's advice for direct charges) or "express"
STRIPE_CONNECT_ACCOUNT_TYPE = env_str("STRIPE_CONNECT_ACCOUNT_TYPE", "standard").lower()
if STRIPE_CONNECT_ACCOUNT_TYPE not in ("standard", "express"):
    raise ImproperlyConfigured(
        "STRIPE_CONNECT_ACCOUNT_TYPE must be standard or express, "
        f"not {STRIPE_CONNECT_ACCOUNT_TYPE!r}"
    )
ORDERS_RESERVATION_MINUTES = env_int("ORDERS_RESERVATION_MINUTES", 15)
# the same in seconds, when set (the tests shorten it)
ORDERS_RESERVATION_SECONDS = env_int("ORDERS_RESERVATION_SECONDS", ORDERS_RESERVATION_MINUTES * 60)
ORDERS_MAX_QUANTITY = env_int("ORDERS_MAX_QUANTITY", 20)
# An order email is tried this many times by its task's retries and the sweep together
ORDERS_EMAIL_MAX_ATTEMPTS = env_int("ORDERS_EMAIL_MAX_ATTEMPTS", 30)
ORDERS_MAX_LINES = env_int("ORDERS_MAX_LINES", 20)
# A checkout reminder (when the shop turned them on) goes this long after the checkout
# ended unpaid; the beat's orders.emails_sweep records it, so it leaves within
# QUEUE_SWEEP_SECONDS of that
ORDERS_RECOVERY_EMAIL_DELAY_SECONDS = env_int("ORDERS_RECOVERY_EMAIL_DELAY_SECONDS", 3600)
# Buy-now calls one client address may make per shop (shops/ratelimits.py); "off" for none
ORDERS_RATE_BUY_NOW = env_str("ORDERS_RATE_BUY_NOW", "120/m")
# Bag checks (prices and stock of a bag's lines) one client address may ask for per shop
ORDERS_RATE_BAG_CHECK = env_str("ORDERS_RATE_BAG_CHECK", "240/m")
ORDERS_RATE_CHECKOUT_QUOTE = env_str("ORDERS_RATE_CHECKOUT_QUOTE", "240/m")
CELERY_BEAT_SCHEDULE["orders-expire-reservations"] = {
    "task": "shops.for_each_shop",
    "schedule": env_int("ORDERS_EXPIRY_INTERVAL_SECONDS", 60),
    "args": ["orders.reservations_expire"],
}
# Insights (shops/insights, docs/insights.md): the rollups every minute, the event
# partitions (made ahead, dropped after the shop's retention) every hour
CELERY_BEAT_SCHEDULE["insights-rollup"] = {
    "task": "shops.for_each_shop",
    "schedule": env_int("INSIGHTS_ROLLUP_SECONDS", 60),
    "args": ["insights.rollup"],
}
CELERY_BEAT_SCHEDULE["insights-partitions"] = {
    "task": "shops.for_each_shop",
    "schedule": 3600,
    "args": ["insights.partitions_maintain"],
}
# Beacons a client address may send per minute to one shop (shops.ratelimits)
INSIGHTS_BEACON_RATE = env_str("INSIGHTS_BEACON_RATE", "120/m")
# Held orders whose reservation ends within this many seconds, or older than the other,
# are settled from Stripe's answer when their webhook never came (orders.payment_health)
PAYMENTS_SETTLE_BEFORE_EXPIRY_SECONDS = env_int("PAYMENTS_SETTLE_BEFORE_EXPIRY_SECONDS", 120)
PAYMENTS_SETTLE_AFTER_SECONDS = env_int("PAYMENTS_SETTLE_AFTER_SECONDS", 300)
CELERY_BEAT_SCHEDULE["orders-payments-settle-held"] = {
    "task": "shops.for_each_shop",
    "schedule": env_int("PAYMENTS_SETTLE_INTERVAL_SECONDS", 60),
    "args": ["orders.payments_settle_held"],
}
# Connect shops: their payouts, and the fees of recent payments still unknown
CELERY_BEAT_SCHEDULE["orders-payouts-refresh"] = {
    "task": "shops.for_each_shop",
    "schedule": env_int("PAYOUTS_REFRESH_INTERVAL_SECONDS", 3600),
    "args": ["orders.payouts_refresh"],
}

# --- Sales channels (shops.channels): platform API addresses, timeouts, retries ----------
# Meta's Graph API, for both Meta clients (the catalog sync and the Instagram import):
# its address and the one version they call (shops/channels/clients/graph.py)
CHANNELS_META_API_BASE = env_str("CHANNELS_META_API_BASE", "https://graph.facebook.com")
CHANNELS_META_API_VERSION = env_str("CHANNELS_META_API_VERSION", "v24.0")
if env_str("INSTAGRAM_GRAPH_API_URL"):
    raise ImproperlyConfigured(
        "INSTAGRAM_GRAPH_API_URL is gone: the Instagram import calls the Graph API at "
        "CHANNELS_META_API_BASE, version CHANNELS_META_API_VERSION, as the catalog sync does"
    )
CHANNELS_PINTEREST_API_BASE = env_str("CHANNELS_PINTEREST_API_BASE", "https://api.pinterest.com")
CHANNELS_GOOGLE_API_BASE = env_str("CHANNELS_GOOGLE_API_BASE", "https://merchantapi.googleapis.com")
CHANNELS_TIKTOK_API_BASE = env_str(
    "CHANNELS_TIKTOK_API_BASE", "https://open-api.tiktokglobalshop.com"
)
CHANNELS_TIMEOUT_SECONDS = env_int("CHANNELS_TIMEOUT_SECONDS", 20)
CHANNELS_BATCH_POLL_SECONDS = float(env_str("CHANNELS_BATCH_POLL_SECONDS", "2"))
CHANNELS_MAX_RETRIES = env_int("CHANNELS_MAX_RETRIES", 12)
CHANNELS_RETRY_MAX_SECONDS = env_int("CHANNELS_RETRY_MAX_SECONDS", 900)
# most items in one platform call; the platforms' own limits (Meta 5,000, Pinterest 1,000)
# apply below it
CHANNELS_BATCH_ITEMS_MAX = env_int("CHANNELS_BATCH_ITEMS_MAX", 5_000)
# a "sync now" with no progress for this long stopped (its worker died): it may start again
CHANNELS_SYNC_STALL_MINUTES = env_int("CHANNELS_SYNC_STALL_MINUTES", 15)
# items without a fingerprint (sent before it was kept) resent whole per reconcile and
# connection, so they get one over a few reconciles rather than in one storm
CHANNELS_RECONCILE_BACKFILL_ITEMS = env_int("CHANNELS_RECONCILE_BACKFILL_ITEMS", 5_000)
# Connecting a channel with the platform's own login (shops/channels/oauth.py): the
# platform apps' credentials, set by the platform's administrator (empty: the channel page
# offers the feed and a pasted token only), and the login addresses (tests point them at
# the fakes). Meta: Facebook Login for Business (app id, secret, configuration id).
CHANNELS_META_APP_ID = env_str("CHANNELS_META_APP_ID")
CHANNELS_META_APP_SECRET = env_str("CHANNELS_META_APP_SECRET")
CHANNELS_META_CONFIG_ID = env_str("CHANNELS_META_CONFIG_ID")
CHANNELS_META_OAUTH_DIALOG_BASE = env_str(
    "CHANNELS_META_OAUTH_DIALOG_BASE", "https://www.facebook.com"
)
CHANNELS_GOOGLE_CLIENT_ID = env_str("CHANNELS_GOOGLE_CLIENT_ID")
CHANNELS_GOOGLE_CLIENT_SECRET = env_str("CHANNELS_GOOGLE_CLIENT_SECRET")
CHANNELS_GOOGLE_OAUTH_AUTHORIZE_URL = env_str(
    "CHANNELS_GOOGLE_OAUTH_AUTHORIZE_URL", "https://accounts.google.com/o/oauth2/v2/auth"
)
CHANNELS_GOOGLE_OAUTH_TOKEN_URL = env_str(
    "CHANNELS_GOOGLE_OAUTH_TOKEN_URL", "https://oauth2.googleapis.com/token"
)
CHANNELS_GOOGLE_OAUTH_REVOKE_URL = env_str(
    "CHANNELS_GOOGLE_OAUTH_REVOKE_URL", "https://oauth2.googleapis.com/revoke"
)
# Pinterest: the app's id and secret (HTTP Basic auth to {CHANNELS_PINTEREST_API_BASE}/v5/
# oauth/token). TikTok Shop: the Partner Center app's key, secret and service id, its
# seller authorization page and its token endpoints' host.
CHANNELS_PINTEREST_APP_ID = env_str("CHANNELS_PINTEREST_APP_ID")
CHANNELS_PINTEREST_APP_SECRET = env_str("CHANNELS_PINTEREST_APP_SECRET")
CHANNELS_PINTEREST_OAUTH_URL = env_str(
    "CHANNELS_PINTEREST_OAUTH_URL", "https://www.pinterest.com/oauth/"
)
CHANNELS_TIKTOK_APP_KEY = env_str("CHANNELS_TIKTOK_APP_KEY")
CHANNELS_TIKTOK_APP_SECRET = env_str("CHANNELS_TIKTOK_APP_SECRET")
CHANNELS_TIKTOK_SERVICE_ID = env_str("CHANNELS_TIKTOK_SERVICE_ID")
CHANNELS_TIKTOK_AUTHORIZE_URL = env_str(
    "CHANNELS_TIKTOK_AUTHORIZE_URL", "https://services.tiktokshop.com/open/authorize"
)
CHANNELS_TIKTOK_AUTH_BASE = env_str("CHANNELS_TIKTOK_AUTH_BASE", "https://auth.tiktok-shops.com")
# a login must come back within this long (its signed state, its attempt row)
CHANNELS_OAUTH_ATTEMPT_MINUTES = env_int("CHANNELS_OAUTH_ATTEMPT_MINUTES", 10)
# the beat renews the tokens expiring within the window (Google's last 3599 s)
CHANNELS_TOKEN_REFRESH_WINDOW_SECONDS = env_int("CHANNELS_TOKEN_REFRESH_WINDOW_SECONDS", 900)
# a login whose tokens cannot be renewed (Meta's, about 60 days): the owner is emailed this
# many days before it ends, and the channel pages show it with the Reconnect button
CHANNELS_TOKEN_EXPIRY_WARN_DAYS = env_int("CHANNELS_TOKEN_EXPIRY_WARN_DAYS", 7)
CHANNELS_REVOKE_MAX_RETRIES = env_int("CHANNELS_REVOKE_MAX_RETRIES", 10)
CELERY_BEAT_SCHEDULE["channels-tokens-refresh"] = {
    "task": "shops.for_each_shop",
    "schedule": env_int("CHANNELS_TOKEN_REFRESH_SECONDS", 300),
    "args": ["channels.tokens_refresh"],
}
CELERY_BEAT_SCHEDULE["channels-reconcile"] = {
    "task": "shops.for_each_shop",
    "schedule": env_int("CHANNELS_RECONCILE_SECONDS", 6 * 3600),
    "args": ["channels.reconcile"],
}

# --- Email ---------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"Etalage <no-reply@{PLATFORM_DOMAIN}>")

# --- Static and media files; media live in one folder (or prefix) per shop --------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or DATA_DIR / "media")
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"  # MEDIA_ROOT/<shop schema>/
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "filesystem")
if MEDIA_STORAGE == "filesystem":
    _media_backend: dict = {"BACKEND": "config.storage.TenantFileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    _media_backend = {
        "BACKEND": "config.storage_s3.TenantS3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "custom_domain": env_str("S3_CUSTOM_DOMAIN") or None,
        },
    }
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be filesystem or s3, not {MEDIA_STORAGE!r}")
STORAGES = {
    "default": _media_backend,
    "staticfiles": {"BACKEND": "config.storage.StaticFilesStorage"},
}
# WhiteNoise serves /static/ in every process, gunicorn included: from STATIC_ROOT after
# collectstatic (hashed names, cached for ever), else from the apps' folders.
WHITENOISE_USE_FINDERS = True
# (and STATIC_ROOT's absence before a collectstatic is no news)
warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)

# --- Outbound HTTP (shops/http.py) ------------------------------------------------------
# Networks reached even where the private-address guard is on (CATALOG_IMAGE_FETCH_PRIVATE,
# WEBHOOK_DELIVERY_PRIVATE off): a proxy or mirror of yours, e.g. "10.8.0.0/24,192.0.2.7".
OUTBOUND_ALLOWED_NETWORKS = env_list("OUTBOUND_ALLOWED_NETWORKS")
for _network in OUTBOUND_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"OUTBOUND_ALLOWED_NETWORKS: {_network!r} is not an IP address or network"
        ) from None

# --- Catalog: image and import limits ---------------------------------------------------
CATALOG_IMAGE_MAX_BYTES = env_int("CATALOG_IMAGE_MAX_BYTES", 20 * 1024 * 1024)
CATALOG_IMAGE_MAX_PIXELS = env_int("CATALOG_IMAGE_MAX_PIXELS", 40_000_000)
CATALOG_IMAGE_INLINE_BYTES = env_int("CATALOG_IMAGE_INLINE_BYTES", 2 * 1024 * 1024)
CATALOG_IMAGE_FETCH_TIMEOUT = env_int("CATALOG_IMAGE_FETCH_TIMEOUT", 10)
# Fetch image URLs on loopback and private networks (development, tests); off in production
CATALOG_IMAGE_FETCH_PRIVATE = env_bool("CATALOG_IMAGE_FETCH_PRIVATE", default=DEBUG)
CATALOG_IMPORT_MAX_ROWS = env_int("CATALOG_IMPORT_MAX_ROWS", 100_000)
CATALOG_IMPORT_MAX_BYTES = env_int("CATALOG_IMPORT_MAX_BYTES", 100 * 1024 * 1024)

# --- Marketing consent (shops/consent, docs/consent.md) ---------------------------------
# How long a double opt-in link works; how long an unsubscribe link in a marketing email
# works (long: RFC 8058 asks that it keep working); at most one confirmation email to an
# address in this many seconds (and within ACCOUNTS_RATE_EMAIL)
CONSENT_CONFIRM_LINK_HOURS = env_int("CONSENT_CONFIRM_LINK_HOURS", 72)
CONSENT_UNSUBSCRIBE_LINK_DAYS = env_int("CONSENT_UNSUBSCRIBE_LINK_DAYS", 365)
CONSENT_CONFIRM_RESEND_SECONDS = env_int("CONSENT_CONFIRM_RESEND_SECONDS", 600)

# --- Reviews: review requests, rate limits ----------------------------------------------
# Seconds between fulfilment and the review-request email; days its link stays valid
REVIEWS_REQUEST_DELAY_SECONDS = env_int("REVIEWS_REQUEST_DELAY_SECONDS", 7 * 24 * 3600)
REVIEWS_REQUEST_LINK_DAYS = env_int("REVIEWS_REQUEST_LINK_DAYS", 60)
CELERY_BEAT_SCHEDULE["reviews-send-requests"] = {
    "task": "shops.for_each_shop",
    "schedule": env_int("REVIEWS_REQUEST_INTERVAL_SECONDS", 600),
    "args": ["reviews.review_requests_send_due"],
}
REVIEWS_MAX_PHOTOS = 5
REVIEWS_PHOTO_MAX_BYTES = env_int("REVIEWS_PHOTO_MAX_BYTES", 8 * 1024 * 1024)
# Reviews from one shopper or network within this many seconds beyond 3 are flagged "burst"
REVIEWS_BURST_SECONDS = env_int("REVIEWS_BURST_SECONDS", 3600)
# a poll vote waiting for its email confirmation: how long its link works
REVIEWS_POLL_CONFIRM_LINK_HOURS = env_int("REVIEWS_POLL_CONFIRM_LINK_HOURS", 48)
# a poll is flagged when one address casts more than this many votes within the minutes
REVIEWS_POLL_BURST_VOTES = env_int("REVIEWS_POLL_BURST_VOTES", 20)
REVIEWS_POLL_BURST_MINUTES = env_int("REVIEWS_POLL_BURST_MINUTES", 10)
# ... and when the whole poll gets more than FACTOR times its usual votes per that many
# minutes (its average since it opened), and at least MIN_VOTES of them
REVIEWS_POLL_RATE_FACTOR = env_int("REVIEWS_POLL_RATE_FACTOR", 5)
REVIEWS_POLL_RATE_MIN_VOTES = env_int("REVIEWS_POLL_RATE_MIN_VOTES", 30)
REVIEWS_RATE_LIMITS = {
    "review": {
        "shopper": env_str("REVIEWS_RATE_REVIEW_SHOPPER", "5/h"),
        "network": env_str("REVIEWS_RATE_REVIEW_NETWORK", "30/h"),
    },
    "vote": {
        "shopper": env_str("REVIEWS_RATE_VOTE_SHOPPER", "60/m"),
        "network": env_str("REVIEWS_RATE_VOTE_NETWORK", "600/m"),
    },
    # new shopper tokens (one per browser, kept in its storage): "shopper" counts per
    # address, "network" per /24 or /48 (a carrier's NAT holds many shoppers)
    "token": {
        "shopper": env_str("REVIEWS_RATE_TOKEN_ADDRESS", "30/h"),
        "network": env_str("REVIEWS_RATE_TOKEN_NETWORK", "600/h"),
    },
}

# --- Storefront: the designer's pictures (logo, favicon, section pictures) --------------
STOREFRONT_IMAGE_MAX_BYTES = env_int("STOREFRONT_IMAGE_MAX_BYTES", 5 * 1024 * 1024)

# --- Shoppable posts and the Instagram import (its Graph API address: CHANNELS_META_*) ---
POSTS_IMAGE_MAX_BYTES = env_int("POSTS_IMAGE_MAX_BYTES", 8 * 1024 * 1024)
# Click-through beacons one client address may send per shop (a page view sends a few)
POSTS_RATE_EVENTS = env_str("POSTS_RATE_EVENTS", "300/m")
INSTAGRAM_TIMEOUT = env_int("INSTAGRAM_TIMEOUT", 10)
POSTS_SCHEDULE_INTERVAL_SECONDS = env_int("POSTS_SCHEDULE_INTERVAL_SECONDS", 60)
CELERY_BEAT_SCHEDULE["posts-announce-due-posts"] = {
    "task": "shops.for_each_shop",
    "schedule": POSTS_SCHEDULE_INTERVAL_SECONDS,
    "args": ["posts.due_posts_announce"],
}

# --- Partner API (shops/api): DRF and its OpenAPI schema ---------------------------------
# The API's base views (shops.api.base) set authentication, scopes, throttling and
# pagination themselves; these defaults only make any other DRF view closed unless it
# opens itself (an anonymous view sets authentication_classes = [] and AllowAny).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "shops.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_PARSER_CLASSES": [
        "shops.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "shops.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "shops.api.errors.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Etalage partner API",
    "DESCRIPTION": (
        "The REST API of one shop, served on the shop's own host. Authenticate with "
        "`Authorization: Bearer <API key>` (keys are created in the shop's admin, each with "
        "scopes). Lists are cursor-paginated; every POST accepts an `Idempotency-Key`; "
        'errors are `{"error": {"code", "message", "field"}}`. The operations tagged '
        "Shopper serve the shop's own pages (buy-now, the posts' beacon, votes): they are "
        "anonymous (no key, no cookie), limited per address or shopper, and answer errors "
        "in the same shape."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ProductStatusEnum": "catalog.models.Product.Status",
        "ImageStatusEnum": "catalog.models.ProductImage.Status",
        "ReviewStatusEnum": "reviews.models.Review.Status",
        "PostStatusEnum": "shops.posts.models.Post.Status",
        "PostSourceEnum": "shops.posts.models.Post.Source",
        "ConnectionStatusEnum": "shops.channels.models.Connection.Status",
        "OrderStatusEnum": "orders.models.Order.Status",
        "ShippingRateKindEnum": "orders.models.ShippingRate.Kind",
        "DiscountKindEnum": "orders.models.Discount.Kind",
        "CollectionKindEnum": "catalog.models.Collection.Kind",
        "WebhookEventTypeEnum": "shops.webhooks.models.EventType",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "shops.api.schema.add_conventions",
        "shops.api.webhooks.add_webhooks_guide",
    ],
}
# Requests per API key (or staff session): "<number>/<second|minute|hour|day>".
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/minute")
# Outbound webhooks: seconds to wait for a subscriber; deliver to loopback and private
# networks (development, tests) — off in production: no posting to the cloud's metadata
# service or the platform's own network.
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10)
WEBHOOK_DELIVERY_PRIVATE = env_bool("WEBHOOK_DELIVERY_PRIVATE", default=DEBUG)
# After a signing secret is rotated, the old one keeps signing (a second v1) this long.
WEBHOOK_SECRET_GRACE_HOURS = env_int("WEBHOOK_SECRET_GRACE_HOURS", 24)
# Events (with their deliveries and attempts) are kept this many days for catch-up at
# GET /api/v1/events/; at least the 3 days deliveries are retried.
WEBHOOK_EVENT_RETENTION_DAYS = max(env_int("WEBHOOK_EVENT_RETENTION_DAYS", 30), 3)

# --- Passwords, i18n ----------------------------------------------------------------------
# The first hasher hashes new passwords; the others still verify older hashes. The test
# session puts a fast one first (tests/services.py), for itself and the servers it starts.
PASSWORD_HASHERS = env_list("PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)
if not PASSWORD_HASHERS:
    raise ImproperlyConfigured(
        "PASSWORD_HASHERS is set but empty; unset it for Django's hashers, or list "
        "dotted paths such as django.contrib.auth.hashers.PBKDF2PasswordHasher"
    )
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler would print each of its lines a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "pgserver": {"level": "CRITICAL"},
        # stripe-python logs every request at INFO
        "stripe": {"level": "WARNING"},
    },
}
