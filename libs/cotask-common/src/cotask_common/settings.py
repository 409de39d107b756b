"""The settings every CoTask service shares, built from the environment.

A service's `config/settings.py` calls `build_settings(...)` and adds only what is its own, so the
six services cannot drift apart on security, logging, databases or the event bus.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from cotask_common.db import database_settings
from cotask_common.env import env_bool, env_int, env_list, env_str, repo_var_dir
from cotask_common.logging import logging_config

SERVICES = ("auth", "social", "tasks", "habits", "media", "notifications")


def build_settings(
    *,
    service: str,
    base_dir: Path,
    local_apps: list[str],
    extra_apps: list[str] | None = None,
    title: str,
    description: str = "",
) -> dict[str, Any]:
    if not service.isidentifier():
        raise ValueError(f"service name must be an identifier, got {service!r}")
    var_dir = repo_var_dir()
    debug = env_bool("DJANGO_DEBUG", False)
    # COTASK_ENV=production implies it; COTASK_REQUIRE_SECRETS=true asks for it alone.
    require_secrets = production_mode() or (not debug and env_bool("COTASK_REQUIRE_SECRETS", False))
    # One key per service (AUTH_DJANGO_SECRET_KEY, ...): a leaked key of one service must not
    # sign sessions, CSRF tokens or password-reset links of another. DJANGO_SECRET_KEY is the
    # fallback for a process environment that serves one service only (a container).
    secret_key = env_str(f"{service.upper()}_DJANGO_SECRET_KEY") or env_str("DJANGO_SECRET_KEY")
    if not secret_key:
        if require_secrets:
            raise ImproperlyConfigured(
                f"{service.upper()}_DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY) must be set"
            )
        secret_key = _embedded_secret(var_dir, service)
    allowed_hosts = env_list("DJANGO_ALLOWED_HOSTS", ["*"])
    if require_secrets and "*" in allowed_hosts:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name the hosts served, not '*'")
    # Served over HTTPS (TLS ends at a proxy in front of the gateway, which says so with
    # X-Forwarded-Proto): HSTS and cookies that never travel over plain HTTP.
    tls = env_bool("COTASK_TLS", False)

    redis_url = env_str("REDIS_URL")
    kafka_servers = env_str("KAFKA_BOOTSTRAP_SERVERS")

    settings: dict[str, Any] = {
        "COTASK_SERVICE": service,
        "COTASK_VAR_DIR": var_dir,
        "BASE_DIR": base_dir,
        "SECRET_KEY": secret_key,
        "DEBUG": debug,
        "ALLOWED_HOSTS": allowed_hosts,
        "CSRF_TRUSTED_ORIGINS": env_list("DJANGO_CSRF_TRUSTED_ORIGINS", []),
        "USE_X_FORWARDED_HOST": True,
        # The gateway sets X-Forwarded-Proto (keeping an outer TLS proxy's value), so
        # request.is_secure() is true for requests that arrived over HTTPS.
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "COTASK_TLS": tls,
        # Sent only on responses to HTTPS requests (Django's SecurityMiddleware).
        "SECURE_HSTS_SECONDS": env_int("SECURE_HSTS_SECONDS", 31_536_000) if tls else 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": tls and env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False),
        "SECURE_HSTS_PRELOAD": tls and env_bool("SECURE_HSTS_PRELOAD", False),
        "SESSION_COOKIE_SECURE": tls,
        "CSRF_COOKIE_SECURE": tls,
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "whitenoise.runserver_nostatic",
            "django.contrib.staticfiles",
            "rest_framework",
            "drf_spectacular",
            "drf_spectacular_sidecar",
            "cotask_common",
            "cotask_common.events",
            "cotask_common.users",
            *(extra_apps or []),
            *local_apps,
        ],
        "MIDDLEWARE": [
            # Outermost: runs after every other middleware has answered.
            "cotask_common.middleware.DrainRequestBodyMiddleware",
            "cotask_common.middleware.RequestIdMiddleware",
            "cotask_common.i18n.LanguageMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": "config.urls",
        "WSGI_APPLICATION": "config.wsgi.application",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "DATABASES": {"default": database_settings(service=service, var_dir=var_dir)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "CACHES": _caches(redis_url, service),
        "LANGUAGE_CODE": "en",
        # One catalogue per service (`make messages` adds the code's new texts to it).
        "LOCALE_PATHS": [base_dir / service / "locale"],
        "LANGUAGES": [("en", "English"), ("ru", "Русский"), ("uk", "Українська")],
        "TIME_ZONE": "UTC",
        "USE_I18N": True,
        "USE_TZ": True,
        # Served under the service's own prefix so the gateway can route them unchanged.
        "STATIC_URL": f"/static/{service}/",
        "STATIC_ROOT": var_dir / "static" / service,
        "WHITENOISE_USE_FINDERS": True,
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            },
        },
        "LOGGING": logging_config(service=service, level=env_str("LOG_LEVEL", "INFO")),
        "REST_FRAMEWORK": {
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "cotask_common.security.authentication.JWTAuthentication",
            ],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "DEFAULT_PAGINATION_CLASS": "cotask_common.pagination.CursorPagination",
            "PAGE_SIZE": 20,
            "EXCEPTION_HANDLER": "cotask_common.errors.exception_handler",
            "DEFAULT_SCHEMA_CLASS": "cotask_common.openapi.AutoSchema",
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": [
                "rest_framework.parsers.JSONParser",
                "rest_framework.parsers.FormParser",
                "rest_framework.parsers.MultiPartParser",
            ],
            "UNAUTHENTICATED_USER": None,
        },
        "SPECTACULAR_SETTINGS": {
            "TITLE": title,
            "DESCRIPTION": description,
            "VERSION": "0.1.0",
            "SERVE_INCLUDE_SCHEMA": False,
            "SWAGGER_UI_DIST": "SIDECAR",
            "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
            "REDOC_DIST": "SIDECAR",
            "SCHEMA_PATH_PREFIX": f"/api/{service}",
            "COMPONENT_SPLIT_REQUEST": True,
            # cotask_common.openapi: shared components, error shapes, operation notes.
            "POSTPROCESSING_HOOKS": [
                "drf_spectacular.hooks.postprocess_schema_enums",
                "cotask_common.openapi.postprocess",
            ],
        },
        # Identity: tokens are RS256, verified locally with auth-service's cached JWKS.
        "COTASK_JWT_ISSUER": env_str("JWT_ISSUER", "cotask-auth"),
        "COTASK_JWT_AUDIENCE": env_str("JWT_AUDIENCE", "cotask"),
        "COTASK_JWKS_URL": env_str(
            "JWT_JWKS_URL", "http://127.0.0.1:8101/api/auth/.well-known/jwks.json"
        ),
        "COTASK_JWT_KEY_PROVIDER": "cotask_common.security.keys.RemoteJWKSProvider",
        # How often every service fetches the JWKS again: a key auth-service stops publishing
        # stops verifying within this time.
        "COTASK_JWKS_REFRESH_SECONDS": env_int("JWT_JWKS_REFRESH_SECONDS", 300),
        "COTASK_JWT_LEEWAY_SECONDS": env_int("JWT_LEEWAY_SECONDS", 0),
        # How stale the local ban/deletion snapshot may be (seconds).
        "COTASK_BLOCKLIST_TTL_SECONDS": env_int("COTASK_BLOCKLIST_TTL_SECONDS", 2),
        # Event bus: Kafka when servers are configured, the embedded SQLite log otherwise.
        "COTASK_EVENT_BUS": env_str("EVENT_BUS", "kafka" if kafka_servers else "embedded"),
        "COTASK_KAFKA_BOOTSTRAP_SERVERS": kafka_servers,
        "COTASK_KAFKA_TOPIC_PARTITIONS": env_int("KAFKA_TOPIC_PARTITIONS", 1),
        # Before every topic and consumer group: several systems (a benchmark beside a test run)
        # share one broker without seeing each other's events.
        "COTASK_KAFKA_TOPIC_PREFIX": env_str("KAFKA_TOPIC_PREFIX", ""),
        "COTASK_KAFKA_REPLICATION_FACTOR": env_int("KAFKA_REPLICATION_FACTOR", -1),
        "COTASK_EVENT_LOG_PATH": env_str("EVENT_LOG_PATH", str(var_dir / "events.sqlite3")),
        "COTASK_EVENT_MAX_ATTEMPTS": env_int("EVENT_MAX_ATTEMPTS", 5),
        # Celery: Redis in production, the server-less filesystem transport otherwise.
        # A host in the URL keeps kombu from warning "No hostname was supplied" on every send.
        "CELERY_BROKER_URL": env_str("CELERY_BROKER_URL", "filesystem://localhost/"),
        "CELERY_BROKER_TRANSPORT_OPTIONS": _celery_transport_options(var_dir, service),
        "CELERY_TASK_ALWAYS_EAGER": env_bool("CELERY_TASK_ALWAYS_EAGER", False),
        "CELERY_BEAT_SCHEDULE_FILENAME": str(var_dir / "celery" / f"{service}-beat"),
        "CELERY_BEAT_SCHEDULE": {
            "cleanup-outbox": {"task": "cotask_common.cleanup_outbox", "schedule": 3600.0},
            "cleanup-processed-events": {
                "task": "cotask_common.cleanup_processed_events",
                "schedule": 6 * 3600.0,
            },
        },
        "EMAIL_BACKEND": env_str(
            "EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
        ),
        "EMAIL_FILE_PATH": str(var_dir / "mail" / service),
        "DEFAULT_FROM_EMAIL": env_str("DEFAULT_FROM_EMAIL", "CoTask <no-reply@cotask.local>"),
        "DATA_UPLOAD_MAX_MEMORY_SIZE": env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440),
    }
    refuse_unsafe_production(settings)
    return settings


def production_mode() -> bool:
    """`COTASK_ENV=production` is the production switch: no local fallbacks, no debug, explicit
    hosts. Anything but `production` or `development` (the default) is a typo, refused."""
    value = env_str("COTASK_ENV", "development").strip().lower()
    if value not in {"production", "development"}:
        raise ImproperlyConfigured(
            f"COTASK_ENV must be 'production' or 'development', got {value!r}"
        )
    return value == "production"


def refuse_unsafe_production(settings: dict[str, Any]) -> None:
    """In production, refuse to start rather than run with debug pages, a made-up secret key or
    a Host header nobody chose (the secret key is checked where it is read, `_embedded_secret`)."""
    if not production_mode():
        return
    if settings["DEBUG"]:
        raise ImproperlyConfigured("COTASK_ENV=production refuses DJANGO_DEBUG=true")
    hosts = env_list("DJANGO_ALLOWED_HOSTS", [])
    if not hosts or "*" in hosts:
        raise ImproperlyConfigured(
            "COTASK_ENV=production needs DJANGO_ALLOWED_HOSTS: the host names this service "
            "answers to, comma-separated, without '*'"
        )


def _redis_retry() -> Any:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return Retry(NoBackoff(), 1)


def _caches(redis_url: str, service: str) -> dict[str, Any]:
    if redis_url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": service,
                "TIMEOUT": 300,
                # A Redis that is down or hung costs a request a few seconds at most, not a
                # hang: its callers then degrade (rate limits count per process) or answer
                # 503. One immediate retry (redis-py's default, three with growing pauses,
                # made a refused call take 5 s).
                "OPTIONS": {
                    "socket_connect_timeout": 1,
                    "socket_timeout": 2,
                    "retry": _redis_retry(),
                },
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"cotask-{service}",
        }
    }


def _celery_transport_options(var_dir: Path, service: str) -> dict[str, Any]:
    # The folders are made by cotask_common.prepare, not here: importing settings writes nothing.
    queue_dir = var_dir / "celery" / service
    return {
        # Broadcast/remote-control messages would otherwise land in the working directory.
        "control_folder": str(queue_dir / "control"),
        # The filesystem transport exchanges messages through one folder per service.
        "data_folder_in": str(queue_dir / "out"),
        "data_folder_out": str(queue_dir / "out"),
        "processed_folder": str(queue_dir / "processed"),
        "store_processed": False,
    }


def embedded_secret_path(var_dir: Path, service: str) -> Path:
    return var_dir / "secrets" / f"{service}.key"


def _embedded_secret(var_dir: Path, service: str) -> str:
    """The random secret kept under var/ for the embedded default (made by
    cotask_common.prepare before a process starts); never committed, never used in production."""
    if production_mode():
        raise ImproperlyConfigured("COTASK_ENV=production needs DJANGO_SECRET_KEY")
    path = embedded_secret_path(var_dir, service)
    if path.exists():
        return path.read_text().strip()
    # Only settings imported outside a prepared run (a type checker, a one-off import): a key
    # for this process alone, so nothing is written.
    return secrets.token_urlsafe(50)
