"""Settings for the trackpacks API. Every deploy-specific value comes from the environment;
see `.env.example` for the full list."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.production import refuse_unsafe_production

django_stubs_ext.monkeypatch()  # lets admin.ModelAdmin[Model] etc. subscript at run time

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))

# Fails closed: production unless DEBUG=true (`make run` and the test settings set it). With
# DEBUG off, config/production.py refuses to start on any development stand-in below.
DEBUG = env_bool("DEBUG", default=False)
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production"  # noqa: S105
DEV_JWT_SIGNING_KEY = "dev-only-insecure-jwt-signing-key-never-in-production"
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY if DEBUG else "")
# JWTs have their own key: rotating it logs everyone out without touching sessions/resets.
JWT_SIGNING_KEY = env_str("JWT_SIGNING_KEY", DEV_JWT_SIGNING_KEY if DEBUG else "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "http://localhost:5173")
CORS_EXPOSE_HEADERS = ["Retry-After", "X-Request-ID", "Idempotent-Replayed", "WWW-Authenticate"]
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
]

INSTALLED_APPS = [
    "console.apps.ConsoleAdminConfig",  # django.contrib.admin with the console's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "trackpacks",
    "payments",
    "chain",
    "ipfs",
    "console",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "core.middleware.PublicJsonGZipMiddleware",
    "core.middleware.PublicCatalogCacheMiddleware",
    "core.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        # Persistent connections are bounded by the process model: gunicorn sync workers and
        # Celery prefork children each hold at most one (never a threaded server).
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "display_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)
# The fan app: links mailed to fans (email verification, password reset) point into it.
FRONTEND_URL = env_str("FRONTEND_URL", "http://127.0.0.1:8000/app")
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 48)
# Applied Stripe event ids are kept this long (never less than Stripe's 3-day retry window).
STRIPE_EVENT_RETENTION_DAYS = env_int("STRIPE_EVENT_RETENTION_DAYS", 7)
ORDER_RESERVATION_MINUTES = env_int("ORDER_RESERVATION_MINUTES", 30)
ORDER_MAX_QUANTITY = env_int("ORDER_MAX_QUANTITY", 10)
# Anti-hoarding: unpaid orders one account may hold at once, and packs of one batch it may
# hold (reserved, paid or delivered) in all.
ORDER_MAX_PENDING_PER_USER = env_int("ORDER_MAX_PENDING_PER_USER", 3)
ORDER_MAX_PACKS_PER_BATCH_PER_USER = env_int("ORDER_MAX_PACKS_PER_BATCH_PER_USER", 20)

# Stripe (card payments). Without a real secret key the app talks to localstripe on
# STRIPE_API_BASE (`make run` starts it) with local test credentials; empty base = Stripe.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
DEV_STRIPE_WEBHOOK = "whsec_local_trackpacks"  # public: it is in the repository
STRIPE_LOCAL = not STRIPE_SECRET_KEY
if STRIPE_LOCAL:
    STRIPE_SECRET_KEY = "sk_test_local"  # noqa: S105  (localstripe accepts any sk_ key)
    STRIPE_PUBLISHABLE_KEY = STRIPE_PUBLISHABLE_KEY or "pk_test_local"
    STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET or DEV_STRIPE_WEBHOOK
    STRIPE_API_BASE = STRIPE_API_BASE or "http://127.0.0.1:8420"
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10)
# Songs from card-bought packs stay in custody this long after the payment (chargeback risk).
# No real money moves through localstripe (and production refuses it), so no hold there.
CARD_WITHDRAWAL_HOLD_HOURS = env_int("CARD_WITHDRAWAL_HOLD_HOURS", 0 if STRIPE_LOCAL else 72)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# WhiteNoise serves static files from the app server: gzipped, hashed names cached for a year.
# `collectstatic` runs in deploy/entrypoint.sh (and the image build); development and tests
# serve the apps' folders directly.
STATICFILES_BACKEND = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
    if DEBUG
    else "whitenoise.storage.CompressedManifestStaticFilesStorage"
)  # STORAGES (below, with the media storage) uses it
WHITENOISE_USE_FINDERS = DEBUG
# Source maps (the docs' bundles ship ~6 MB of them) are for developers: not worth compressing.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br"),
    *("woff", "woff2", "mp3", "mp4", "webm", "map"),
]
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # development serves from the apps' folders
# Largest request body (bytes) outside multipart uploads; larger ones get 413.
REQUEST_MAX_BODY_BYTES = env_int("REQUEST_MAX_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_BYTES
# Deepest JSON a request body may nest (arrays/objects); deeper is 400.
REQUEST_MAX_JSON_DEPTH = env_int("REQUEST_MAX_JSON_DEPTH", 32)
# Public catalog responses (songs, batches, token metadata): ETag/Last-Modified, 304 on
# conditional GETs, and gzip when large. Everything else is never compressed (BREACH).
PUBLIC_CACHE_URL_NAMES = [
    *("song-list", "song-detail", "batch-list", "batch-detail", "token-metadata"),
]
PUBLIC_CACHE_MAX_AGE_SECONDS = env_int("PUBLIC_CACHE_MAX_AGE_SECONDS", 0)
GZIP_URL_NAMES = [*PUBLIC_CACHE_URL_NAMES, "schema"]
GZIP_MIN_BYTES = 1024
# The reference fan app (web/), built by `make web` and served at /app/.
WEB_DIST_DIR = Path(env_str("WEB_DIST_DIR", str(BASE_DIR / "web" / "dist")))

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "TrackPacks <no-reply@trackpacks.local>")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)

# Behind a reverse proxy. NUM_PROXIES is how many proxies append to X-Forwarded-For in front
# of this server: per-IP throttles trust only that many entries (0 = the socket's address).
NUM_PROXIES = env_int("NUM_PROXIES", 0)
# The proxy's header saying the original request was HTTPS (default: X-Forwarded-Proto when
# NUM_PROXIES > 0). Only set it when the proxy overwrites the header from clients.
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto" if NUM_PROXIES else "")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/$", r"^metrics$"]  # probes speak plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Preloading HSTS is a separate, hard-to-undo submission to browser vendors: opt-in only.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "login_ip": env_str("THROTTLE_LOGIN_IP", "30/min"),
        "login_email": env_str("THROTTLE_LOGIN_EMAIL", "5/min"),
        "password_reset_ip": env_str("THROTTLE_PASSWORD_RESET_IP", "10/hour"),
        "password_reset_email": env_str("THROTTLE_PASSWORD_RESET_EMAIL", "3/hour"),
        "register_ip": env_str("THROTTLE_REGISTER_IP", "30/hour"),
        "order_create": env_str("THROTTLE_ORDER_CREATE", "30/min"),
        "pack_open": env_str("THROTTLE_PACK_OPEN", "30/min"),
        "wallet_nonce": env_str("THROTTLE_WALLET_NONCE", "20/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

JWT_REFRESH_DAYS = env_int("JWT_REFRESH_DAYS", 1)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=JWT_REFRESH_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "AUTH_TOKEN_CLASSES": ("core.authentication.CheckedAccessToken",),
    "USER_ID_CLAIM": "user_id",
}

_SYSTEM_FONTS = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
SPECTACULAR_SETTINGS = {
    "TITLE": "TrackPacks API",
    "DESCRIPTION": (
        "Buy and open packs of music NFTs (ERC-1155), by card or crypto. "
        "Errors share one body: `{error: {code, message, details}}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # System fonts: the docs load nothing from another origin (no Google Fonts).
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": _SYSTEM_FONTS,
                "headings": {"fontFamily": _SYSTEM_FONTS},
                "code": {"fontFamily": "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "payments.models.OrderStatus",
        "CustodyEnum": "trackpacks.models.Custody",
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The client contract (core/schema.py); the committed copy is docs/openapi.yaml.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.postprocess",
    ],
    "SERVERS": [
        {
            "url": env_str("API_PUBLIC_URL", "http://127.0.0.1:8000"),
            "description": "This deployment (`make run` locally).",
        }
    ],
    "LICENSE": {"name": "Proprietary: the TrackPacks label, for its clients only"},
    "CONTACT": {"name": "TrackPacks API team"},
}

# Prometheus scrapes /metrics with `Authorization: Bearer <METRICS_TOKEN>` (or a staff login).
METRICS_TOKEN = env_str("METRICS_TOKEN")

# Sentry: on only when a DSN is given. No personal data is sent (send_default_pii off).
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        release=env_str("SENTRY_RELEASE") or None,
        traces_sample_rate=float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0")),
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )

# Error pages and reports hide these settings (Django's own list misses mnemonics, private
# keys, webhook secrets and URLs that carry credentials).
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.logging.SecretsReporterFilter"

# Logs: one JSON object per line in production (LOG_FORMAT=json, the default with DEBUG off),
# each with the request id that X-Request-ID carries; readable text in development.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR", "propagate": True},
        "stripe": {"level": "WARNING"},  # it logs every API call at INFO
    },
}

# Sign-In with Ethereum (EIP-4361) wallet linking: the message the server builds and checks.
SIWE_DOMAIN = env_str("SIWE_DOMAIN", "localhost:8000")
SIWE_URI = env_str("SIWE_URI", "http://localhost:8000")
SIWE_NONCE_TTL_SECONDS = env_int("SIWE_NONCE_TTL_SECONDS", 300)
CHAIN_ID = env_int("CHAIN_ID", 31337)

# --- Chain (web3) and background workers (Celery). See `.env.example` "Chain" / "Workers". ---
LOCAL_CHAIN_ID = 31337
CHAIN_RPC_URL = env_str("CHAIN_RPC_URL", "http://127.0.0.1:8545")
CHAIN_RPC_TIMEOUT_SECONDS = env_int("CHAIN_RPC_TIMEOUT_SECONDS", 10)
CHAIN_CONFIRMATIONS = env_int("CHAIN_CONFIRMATIONS", 1 if CHAIN_ID == LOCAL_CHAIN_ID else 3)
CHAIN_DEPLOYMENT_RECORD = Path(
    env_str("CHAIN_DEPLOYMENT_RECORD", str(DATA_DIR / "deployments" / f"{CHAIN_ID}.json"))
)
CHAIN_ADMIN_KEY = env_str("CHAIN_ADMIN_KEY")
CHAIN_MINTER_KEY = env_str("CHAIN_MINTER_KEY")
CHAIN_OPERATOR_KEY = env_str("CHAIN_OPERATOR_KEY")
CHAIN_FULFILLER_KEY = env_str("CHAIN_FULFILLER_KEY")
if CHAIN_ID != LOCAL_CHAIN_ID:
    _missing_keys = [
        name
        for name in ("CHAIN_ADMIN_KEY", "CHAIN_MINTER_KEY", "CHAIN_OPERATOR_KEY")
        if not env_str(name)
    ]
    if _missing_keys:
        raise ImproperlyConfigured(f"{', '.join(_missing_keys)} must be set off the local chain.")
# Keys used only by `chain.deploy` on the local chain (anvil dev accounts 8 and 3 by default):
# the deployer pays for the deployment and keeps no role; governance accepts VRF ownership.
CHAIN_DEPLOYER_KEY = env_str("CHAIN_DEPLOYER_KEY")
CHAIN_GOVERNANCE_KEY = env_str("CHAIN_GOVERNANCE_KEY")
# Custodial holders are keyless addresses derived by the contract from user ids: no mnemonic.
# Where `withdrawProceeds` sends the crypto sales (admin console). Local chain: the dev
# mnemonic's account 10, which no local process sends from (0-9 are signers and test wallets).
TREASURY_ADDRESS = env_str(
    "TREASURY_ADDRESS",
    "0xBcd4042DE499D14e55001CcbB24a551F3b954096" if CHAIN_ID == LOCAL_CHAIN_ID else "",
)
# The admin dashboard warns below these balances (wei; the VRF subscription's in juels).
CONSOLE_LOW_GAS_WEI = env_int("CONSOLE_LOW_GAS_WEI", 5 * 10**16)
CONSOLE_LOW_VRF_BALANCE = env_int("CONSOLE_LOW_VRF_BALANCE", 10**18)
CHAIN_TX_BUMP_AFTER_SECONDS = env_int("CHAIN_TX_BUMP_AFTER_SECONDS", 90)
CHAIN_TX_MAX_AGE_SECONDS = env_int("CHAIN_TX_MAX_AGE_SECONDS", 3600)
CHAIN_INDEXER_RANGE = env_int("CHAIN_INDEXER_RANGE", 500)
# An opening whose VRF request is still unfulfilled after this many seconds is `stuck`: the
# worker alerts and asks again (`retryOpen`). Never below the contract's OPEN_RETRY_DELAY
# (1 day on every deployment of ours); the worker also waits for the contract's own delay.
CHAIN_OPEN_RETRY_AFTER_SECONDS = max(env_int("CHAIN_OPEN_RETRY_AFTER_SECONDS", 90_000), 86_400)
# Minutes a self-custody pack's opening intent (the `openPack` call shown to its owner) stays valid.
PACK_OPEN_INTENT_MINUTES = env_int("PACK_OPEN_INTENT_MINUTES", 30)
# The deepest rewind the indexer undoes by itself; deeper (or no stored block matching the
# node at all) halts indexing for an operator instead of reverting history.
CHAIN_MAX_REORG_DEPTH = env_int("CHAIN_MAX_REORG_DEPTH", 10 * CHAIN_CONFIRMATIONS)
# "Nonce too low" and no receipt for any attempt: blocks to wait after the nonce is seen
# consumed before the call is re-queued under a new nonce.
CHAIN_TX_NONCE_EVIDENCE_BLOCKS = env_int(
    "CHAIN_TX_NONCE_EVIDENCE_BLOCKS", max(12, 4 * CHAIN_CONFIRMATIONS)
)
METADATA_BASE_URI = env_str("METADATA_BASE_URI", "http://127.0.0.1:8000/metadata/{id}.json")

# Song media (ipfs/, trackpacks/): uploads go to Django's default storage, local files under
# MEDIA_ROOT unless MEDIA_S3_BUCKET names an S3-compatible bucket (django-storages, the `s3`
# extra; credentials from the usual AWS_* variables).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or DATA_DIR / "media")
MEDIA_URL = "media/"
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET")
STORAGES: dict[str, dict[str, Any]] = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": MEDIA_S3_BUCKET,
                "endpoint_url": env_str("MEDIA_S3_ENDPOINT_URL") or None,
                "file_overwrite": False,
            },
        }
        if MEDIA_S3_BUCKET
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": STATICFILES_BACKEND},
}
SONG_IMAGE_MAX_BYTES = env_int("SONG_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
SONG_AUDIO_MAX_BYTES = env_int("SONG_AUDIO_MAX_BYTES", 50 * 1024 * 1024)
# IPFS: CIDs computed locally; content pinned by Pinata when PINATA_JWT is set, and always kept
# in the local pin store, which /ipfs/{cid}[/{path}] serves (by default only without Pinata).
IPFS_STORE_DIR = Path(env_str("IPFS_STORE_DIR") or DATA_DIR / "ipfs")
# Named with API so that Django's debug page masks it (it masks API, KEY, TOKEN, SECRET, ...).
PINATA_API_JWT = env_str("PINATA_JWT")
PINATA_API_URL = (env_str("PINATA_API_URL") or "https://api.pinata.cloud").rstrip("/")
PINATA_TIMEOUT_SECONDS = env_int("PINATA_TIMEOUT_SECONDS", 60)
PINATA_MAX_ATTEMPTS = env_int("PINATA_MAX_ATTEMPTS", 5)
PINATA_BACKOFF_SECONDS = float(env_str("PINATA_BACKOFF_SECONDS") or "1")
IPFS_GATEWAY_ENABLED = env_bool("IPFS_GATEWAY_ENABLED", default=not PINATA_API_JWT)
# Where HTTP clients fetch uploaded media (the API's image_url/audio_url): this API's own
# gateway locally; with Pinata, set your dedicated gateway (the public one is rate limited).
IPFS_GATEWAY_URL = env_str("IPFS_GATEWAY_URL") or (
    "https://gateway.pinata.cloud/ipfs/" if PINATA_API_JWT else "http://127.0.0.1:8000/ipfs/"
)

# Redis (REDIS_URL) unless a broker is named. `make run` starts an embedded Redis and sets
# REDIS_URL; "memory://" is only what a bare development process (tests) gets: in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or ("memory://" if DEBUG else ""))
# Every task is a pass over database state that is safe to repeat (row locks, unique keys):
# acknowledge after the run, so a worker killed mid-task leaves the message to be redelivered.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 90)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 100)
# Redis redelivers an unacknowledged message after this; longer than any task may run.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3 * CELERY_TASK_TIME_LIMIT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 3,
    "interval_start": 0.2,
    "interval_step": 0.5,
    "interval_max": 2,
}
CELERY_BEAT_SCHEDULER = "config.celery:SingleBeatScheduler"
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The local chain runs the whole path of a purchase or an opening (send, index, fulfil the
# VRF request, index again) as one pass every half second, so a fan sees an opened pack about
# a second after the wallet sends; elsewhere each pass has its own schedule.
CELERY_BEAT_INTERVAL_SECONDS = float(
    env_str("CELERY_BEAT_INTERVAL_SECONDS", "0.5" if CHAIN_ID == LOCAL_CHAIN_ID else "2")
)
# `expires` drops a run that could not start before the next one is due: no pile-up.
_every = {
    "schedule": CELERY_BEAT_INTERVAL_SECONDS,
    "options": {"expires": CELERY_BEAT_INTERVAL_SECONDS},
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "heartbeat": {"task": "chain.tasks.heartbeat", "schedule": 5.0, "options": {"expires": 5.0}},
    "orders-expire": {"task": "payments.tasks.orders_expire", "schedule": 30.0},
    "housekeeping": {"task": "core.tasks.housekeeping", "schedule": 3600.0},
    # Captures, cancels and refunds owed to Stripe (payments.models.StripeCall).
    "stripe-calls": {
        "task": "payments.tasks.stripe_calls",
        "schedule": 2.0,
        "options": {"expires": 2.0},
    },
    "openings-retry-stuck": {"task": "trackpacks.tasks.openings_retry_stuck", "schedule": 60.0},
}
if CHAIN_ID == LOCAL_CHAIN_ID:
    CELERY_BEAT_SCHEDULE["chain-local"] = {"task": "chain.tasks.local_chain_pass", **_every}
else:
    CELERY_BEAT_SCHEDULE["chain-outbox"] = {"task": "chain.tasks.outbox_pass", **_every}
    CELERY_BEAT_SCHEDULE["chain-indexer"] = {"task": "chain.tasks.indexer_pass", **_every}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
HEALTH_WORKER_MAX_AGE_SECONDS = env_int("HEALTH_WORKER_MAX_AGE_SECONDS", 30)
# /api/v1/health/ turns "degraded" (503) past these.
HEALTH_OUTBOX_MAX_AGE_SECONDS = env_int("HEALTH_OUTBOX_MAX_AGE_SECONDS", 600)
HEALTH_INDEXER_MAX_LAG_BLOCKS = env_int("HEALTH_INDEXER_MAX_LAG_BLOCKS", 50)
HEALTH_ORDERS_IN_REVIEW_MAX = env_int("HEALTH_ORDERS_IN_REVIEW_MAX", 25)
# Off by default in development so the API is "ok" without a worker running.
HEALTH_WORKER_REQUIRED = env_bool("HEALTH_WORKER_REQUIRED", default=not DEBUG)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web + worker processes share the SQLite file: take the write lock when a transaction
    # starts (no "database is locked" on lock upgrade), wait for it, and let readers use WAL.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )

# --- Client contract (docs/CLIENTS.md): what GET /api/v1/config/ tells clients, token refresh
# between tabs, email verification.
CHAIN_EXPLORER_URL = env_str(
    "CHAIN_EXPLORER_URL", "https://amoy.polygonscan.com" if CHAIN_ID == 80002 else ""
)
# A just-rotated refresh token returns the same new pair for this long (two tabs refreshing).
JWT_REFRESH_GRACE_SECONDS = env_int("JWT_REFRESH_GRACE_SECONDS", 30)
EMAIL_VERIFICATION_TIMEOUT_SECONDS = env_int("EMAIL_VERIFICATION_TIMEOUT_SECONDS", 3 * 24 * 3600)
# Card orders need a verified email (the receipt and any dispute go there).
CARD_ORDERS_REQUIRE_VERIFIED_EMAIL = env_bool("CARD_ORDERS_REQUIRE_VERIFIED_EMAIL", default=True)

if not DEBUG:
    refuse_unsafe_production(globals())
