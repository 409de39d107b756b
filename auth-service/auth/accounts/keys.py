"""auth-service's signing keys: the current one signs, the previous ones only verify.

The current key comes from `JWT_PRIVATE_KEY` or `JWT_PRIVATE_KEY_FILE`; without either, the
embedded default generates `var/jwt/signing-key.pem` (git-ignored, mode 0600) on first run.

Rotation without logging anyone out: the retired key's public part stays in the JWKS (and keeps
verifying here) until every token it signed has expired, i.e. for the refresh lifetime (14 days).
Previous keys come from `JWT_PREVIOUS_PUBLIC_KEYS` (a JWKS document) and/or
`JWT_PREVIOUS_PUBLIC_KEYS_DIR` (PEM files, public or private); the embedded default reads
`var/jwt/previous/`, where `manage.py rotate_signing_key` puts the key it retires.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cotask_common.security.keys import forget_verified_tokens, keys_from_jwks
from cotask_common.security.signing import (
    generate_private_key,
    key_id,
    load_private_key,
    private_key_to_pem,
    public_jwk,
)


@dataclass(frozen=True)
class SigningKey:
    private_key: Any
    kid: str

    @property
    def public_jwk(self) -> dict[str, Any]:
        return public_jwk(self.private_key.public_key(), self.kid)


def uses_embedded_key() -> bool:
    return not (settings.JWT_PRIVATE_KEY or settings.JWT_PRIVATE_KEY_FILE)


def embedded_key_path() -> Path:
    return settings.COTASK_VAR_DIR / "jwt" / "signing-key.pem"


def embedded_previous_dir() -> Path:
    return settings.COTASK_VAR_DIR / "jwt" / "previous"


def write_new_embedded_key(path: Path) -> None:
    """Generate a key at `path` atomically: processes starting at once all get the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temporary name of its own per call: threads of one process start at once too.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_to_pem(generate_private_key()))
    with contextlib.suppress(FileExistsError):
        os.link(temporary, path)
    temporary.unlink(missing_ok=True)


def _load_pem() -> bytes:
    if settings.JWT_PRIVATE_KEY:
        return settings.JWT_PRIVATE_KEY.replace("\\n", "\n").encode()
    if settings.JWT_PRIVATE_KEY_FILE:
        with open(settings.JWT_PRIVATE_KEY_FILE, "rb") as handle:
            return handle.read()
    path = embedded_key_path()
    if not path.exists():
        write_new_embedded_key(path)
    return path.read_bytes()


@functools.cache
def current_signing_key() -> SigningKey:
    private_key = load_private_key(_load_pem())
    return SigningKey(private_key=private_key, kid=key_id(private_key.public_key()))


def _public_key_from_pem(data: bytes) -> rsa.RSAPublicKey:
    if b"PRIVATE KEY" in data:
        return load_private_key(data).public_key()
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ImproperlyConfigured("previous JWT keys must be RSA keys")
    return key


@functools.cache
def previous_public_keys() -> dict[str, Any]:
    """kid → public key of every retired key still accepted. The kid is always recomputed
    (RFC 7638 thumbprint), as it was when that key signed."""
    found: list[Any] = []
    if settings.JWT_PREVIOUS_PUBLIC_KEYS.strip():
        try:
            document = json.loads(settings.JWT_PREVIOUS_PUBLIC_KEYS)
        except json.JSONDecodeError as exc:
            raise ImproperlyConfigured(
                f"JWT_PREVIOUS_PUBLIC_KEYS must be a JWKS JSON document: {exc}"
            ) from exc
        found.extend(keys_from_jwks(document).values())
    folder = settings.JWT_PREVIOUS_PUBLIC_KEYS_DIR
    directory = (
        Path(folder) if folder else (embedded_previous_dir() if uses_embedded_key() else None)
    )
    if directory is not None and directory.is_dir():
        for path in sorted(directory.glob("*.pem")):
            found.append(_public_key_from_pem(path.read_bytes()))
    current = current_signing_key().kid
    keys = {key_id(key): key for key in found}
    keys.pop(current, None)
    return keys


def verification_keys() -> dict[str, Any]:
    current = current_signing_key()
    return {current.kid: current.private_key.public_key(), **previous_public_keys()}


def jwks() -> dict[str, Any]:
    current = current_signing_key()
    return {
        "keys": [
            current.public_jwk,
            *(public_jwk(key, kid) for kid, key in previous_public_keys().items()),
        ]
    }


def reset_key_cache() -> None:
    """Forget loaded keys (after a rotation in this process, and in tests)."""
    current_signing_key.cache_clear()
    previous_public_keys.cache_clear()


class LocalKeyProvider:
    """Verification inside auth-service itself: its own public keys, no HTTP. They are read
    again every `COTASK_JWKS_REFRESH_SECONDS`, like the other services' JWKS, so a retired key
    removed from the configuration (or a rotation by another process) is seen without a
    restart, and a removed key stops verifying."""

    def __init__(self) -> None:
        self._loaded_at = time.monotonic()

    def get_key(self, kid: str) -> Any | None:
        if time.monotonic() - self._loaded_at >= settings.COTASK_JWKS_REFRESH_SECONDS:
            before = set(verification_keys())
            reset_key_cache()
            self._loaded_at = time.monotonic()
            if before - set(verification_keys()):
                forget_verified_tokens()
        return verification_keys().get(kid)
