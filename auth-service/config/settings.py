"""auth-service settings: the shared base plus accounts, password hashing and signing keys."""

from pathlib import Path

from cotask_common.env import env_int, env_str
from cotask_common.settings import build_settings

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

# Argon2id first; the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
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
JWT_ACCESS_LIFETIME_SECONDS = env_int("JWT_ACCESS_LIFETIME_SECONDS", 300)
JWT_REFRESH_LIFETIME_SECONDS = env_int("JWT_REFRESH_LIFETIME_SECONDS", 14 * 24 * 3600)
