"""auth-service settings: the shared base plus accounts, password hashing, signing keys,
throttles and account emails."""

from pathlib import Path
from typing import TYPE_CHECKING

from cotask_common.env import env_bool, env_int, env_str
from cotask_common.settings import build_settings

if TYPE_CHECKING:  # the names build_settings() sets, typed for mypy (see the module)
    from cotask_common.settings_names import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    build_settings(
        service="auth",
        base_dir=BASE_DIR,
        local_apps=["auth.accounts"],
        title="CoTask auth API",
        description="Accounts, tokens (RS256, JWKS), sessions, roles and bans.",
    )
)

AUTH_USER_MODEL = "accounts.User"
# Django admin logs staff in with the same accounts, but never a banned or deleted one.
AUTHENTICATION_BACKENDS = ["auth.accounts.backends.AccountBackend"]

# Argon2id with our own cost (see docs/decisions.md, "auth"); the others only verify old hashes.
PASSWORD_HASHERS = [
    "auth.accounts.hashers.CoTaskArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_ARGON2_TIME_COST = env_int("AUTH_ARGON2_TIME_COST", 2)
AUTH_ARGON2_MEMORY_COST_KIB = env_int("AUTH_ARGON2_MEMORY_COST_KIB", 65536)
AUTH_ARGON2_PARALLELISM = env_int("AUTH_ARGON2_PARALLELISM", 2)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# auth-service verifies its own tokens with its own keys, never over HTTP.
COTASK_JWT_KEY_PROVIDER = "auth.accounts.keys.LocalKeyProvider"
JWT_PRIVATE_KEY = env_str("JWT_PRIVATE_KEY")
JWT_PRIVATE_KEY_FILE = env_str("JWT_PRIVATE_KEY_FILE")
# Retired keys still accepted (and published in the JWKS) until their tokens expire: a JWKS
# document, and/or a folder of PEM keys (public or private; only the public part is used).
JWT_PREVIOUS_PUBLIC_KEYS = env_str("JWT_PREVIOUS_PUBLIC_KEYS")
JWT_PREVIOUS_PUBLIC_KEYS_DIR = env_str("JWT_PREVIOUS_PUBLIC_KEYS_DIR")
JWT_ACCESS_LIFETIME_SECONDS = env_int("JWT_ACCESS_LIFETIME_SECONDS", 300)
JWT_REFRESH_LIFETIME_SECONDS = env_int("JWT_REFRESH_LIFETIME_SECONDS", 14 * 24 * 3600)
# A refresh token presented again this many seconds after it was rotated is a second tab
# refreshing at the same moment: it gets the current pair, not a revoked session. 0 turns it off.
AUTH_REFRESH_REUSE_GRACE_SECONDS = env_int("AUTH_REFRESH_REUSE_GRACE_SECONDS", 30)

# Account emails: links point at the pages auth-service serves on the gateway (a small
# server-rendered form that POSTs the token back), or at a web client that takes them over.
EMAIL_LINK_BASE_URL = env_str("EMAIL_LINK_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
# Each may be set whole instead; {token} and {lang} (the account's language) are filled in.
AUTH_EMAIL_VERIFY_URL = env_str(
    "AUTH_EMAIL_VERIFY_URL", EMAIL_LINK_BASE_URL + "/verify-email?lang={lang}&token={token}"
)
AUTH_PASSWORD_RESET_URL = env_str(
    "AUTH_PASSWORD_RESET_URL", EMAIL_LINK_BASE_URL + "/reset-password?lang={lang}&token={token}"
)
AUTH_EMAIL_RESTORE_URL = env_str(
    "AUTH_EMAIL_RESTORE_URL", EMAIL_LINK_BASE_URL + "/restore-email?lang={lang}&token={token}"
)
# How long the way back from an email change (mailed to the old address) works.
AUTH_EMAIL_RESTORE_MAX_AGE_SECONDS = env_int("AUTH_EMAIL_RESTORE_MAX_AGE_SECONDS", 7 * 24 * 3600)
AUTH_EMAIL_VERIFICATION_MAX_AGE_SECONDS = env_int(
    "AUTH_EMAIL_VERIFICATION_MAX_AGE_SECONDS", 3 * 24 * 3600
)
PASSWORD_RESET_TIMEOUT = env_int("AUTH_PASSWORD_RESET_TIMEOUT_SECONDS", 3600)
# django-ses (EMAIL_BACKEND=django_ses.SESBackend) reads its region from here.
AWS_SES_REGION_NAME = env_str("AWS_SES_REGION_NAME", "eu-west-1")
AWS_SES_REGION_ENDPOINT = env_str(
    "AWS_SES_REGION_ENDPOINT", f"email.{AWS_SES_REGION_NAME}.amazonaws.com"
)

# Throttles (per client address and per account), counted in the shared cache. Rates are
# "<count>/<period>", period s, m, h or d, optionally with a multiplier: "10/15m".
AUTH_THROTTLE_ENABLED = env_bool("AUTH_THROTTLE_ENABLED", True)
AUTH_THROTTLE_RATES = {
    "login_ip": env_str("AUTH_THROTTLE_LOGIN_IP", "30/m"),
    "login_account": env_str("AUTH_THROTTLE_LOGIN_ACCOUNT", "10/15m"),
    "register_ip": env_str("AUTH_THROTTLE_REGISTER_IP", "60/h"),
    "register_account": env_str("AUTH_THROTTLE_REGISTER_ACCOUNT", "5/h"),
    "password_reset_ip": env_str("AUTH_THROTTLE_PASSWORD_RESET_IP", "20/h"),
    "password_reset_account": env_str("AUTH_THROTTLE_PASSWORD_RESET_ACCOUNT", "3/h"),
    "password_reset_confirm_ip": env_str("AUTH_THROTTLE_PASSWORD_RESET_CONFIRM_IP", "30/h"),
    "password_check_account": env_str("AUTH_THROTTLE_PASSWORD_CHECK_ACCOUNT", "10/15m"),
    "verify_resend_account": env_str("AUTH_THROTTLE_VERIFY_RESEND_ACCOUNT", "3/h"),
}
# The client address is the last X-Forwarded-For entry our own gateway appended.
REST_FRAMEWORK["NUM_PROXIES"] = env_int("AUTH_TRUSTED_PROXIES", 1)  # noqa: F405

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,  # noqa: F405
    "auth-end-expired-bans": {"task": "auth.end_expired_bans", "schedule": 60.0},
    "auth-cleanup-sessions": {"task": "auth.cleanup_sessions", "schedule": 24 * 3600.0},
}
