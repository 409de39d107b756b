"""auth-service's signing key: from configuration, or generated under var/ on first run.

The embedded default writes `var/jwt/signing-key.pem` (git-ignored, mode 0600) so a developer
never needs to make one; production passes `JWT_PRIVATE_KEY` or `JWT_PRIVATE_KEY_FILE`.
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings

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


def _load_pem() -> bytes:
    if settings.JWT_PRIVATE_KEY:
        return settings.JWT_PRIVATE_KEY.replace("\\n", "\n").encode()
    if settings.JWT_PRIVATE_KEY_FILE:
        with open(settings.JWT_PRIVATE_KEY_FILE, "rb") as handle:
            return handle.read()
    path = settings.COTASK_VAR_DIR / "jwt" / "signing-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_key_to_pem(generate_private_key()))
        # Atomic: several processes starting at once all end up with the same key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
        temporary.unlink(missing_ok=True)
    return path.read_bytes()


@functools.cache
def current_signing_key() -> SigningKey:
    private_key = load_private_key(_load_pem())
    return SigningKey(private_key=private_key, kid=key_id(private_key.public_key()))


def jwks() -> dict[str, Any]:
    return {"keys": [current_signing_key().public_jwk]}


class LocalKeyProvider:
    """Verification inside auth-service itself: its own public keys, no HTTP."""

    def get_key(self, kid: str) -> Any | None:
        key = current_signing_key()
        return key.private_key.public_key() if key.kid == kid else None
