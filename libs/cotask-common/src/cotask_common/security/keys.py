"""Where public keys for token verification come from.

Other services verify tokens with auth-service's JWKS, fetched once and kept in memory: no network
call per request. An unknown `kid` (a rotated key) triggers one refresh, at most once per
`min_refresh_interval`, so a flood of forged kids cannot hammer auth-service.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string
from jwt.algorithms import RSAAlgorithm

logger = logging.getLogger("cotask.security")

JWKS_CACHE_KEY = "cotask:jwks"


class KeyProvider(Protocol):
    def get_key(self, kid: str) -> Any | None:
        """The public key for `kid`, or None when no such key is known."""


def keys_from_jwks(jwks: dict[str, Any]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") != "RSA" or not jwk.get("kid"):
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        keys[jwk["kid"]] = RSAAlgorithm.from_jwk(json.dumps(jwk))
    return keys


class StaticJWKSProvider:
    """Keys given up front: auth-service's own keys, or a test key set."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = keys_from_jwks(jwks)

    def get_key(self, kid: str) -> Any | None:
        return self._keys.get(kid)


class RemoteJWKSProvider:
    def __init__(
        self,
        url: str | None = None,
        *,
        timeout: float = 3.0,
        min_refresh_interval: float = 5.0,
    ) -> None:
        self.url = url or settings.COTASK_JWKS_URL
        self.timeout = timeout
        self.min_refresh_interval = min_refresh_interval
        self._keys: dict[str, Any] = {}
        self._last_fetch = 0.0
        self._lock = threading.Lock()

    def get_key(self, kid: str) -> Any | None:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            if kid in self._keys:
                return self._keys[kid]
            if not self._keys:
                # A fresh process first tries what a sibling process already fetched.
                cached = cache.get(JWKS_CACHE_KEY)
                if cached:
                    self._keys = keys_from_jwks(cached)
                    if kid in self._keys:
                        return self._keys[kid]
            if time.monotonic() - self._last_fetch >= self.min_refresh_interval:
                self._refresh()
        return self._keys.get(kid)

    def _refresh(self) -> None:
        self._last_fetch = time.monotonic()
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as response:  # noqa: S310
                jwks = json.loads(response.read())
        except Exception as exc:  # keep the keys we have: auth-service may be restarting
            logger.warning("jwks fetch failed", extra={"url": self.url, "error": str(exc)})
            return
        self._keys = keys_from_jwks(jwks)
        cache.set(JWKS_CACHE_KEY, jwks, timeout=24 * 3600)


_provider: KeyProvider | None = None
_provider_lock = threading.Lock()


def get_key_provider() -> KeyProvider:
    global _provider
    if _provider is None:
        with _provider_lock:
            if _provider is None:
                factory = import_string(settings.COTASK_JWT_KEY_PROVIDER)
                _provider = factory()
    return _provider


def set_key_provider(provider: KeyProvider | None) -> None:
    """Install a provider (auth-service at start-up, the pytest plugin); None resets."""
    global _provider
    _provider = provider
