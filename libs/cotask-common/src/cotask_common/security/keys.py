"""Where public keys for token verification come from.

Other services verify tokens with auth-service's JWKS, kept in memory: no network call per
request. The JWKS is fetched again every `COTASK_JWKS_REFRESH_SECONDS` (minutes), and the fetched
set replaces the old one, so a key auth-service stops publishing stops verifying here within that
time (tokens already verified with it are forgotten too). An unknown `kid` (a new key) triggers one
refresh, at most once per `min_refresh_interval`, so a flood of forged kids cannot hammer
auth-service. A failed fetch keeps the keys we have (auth-service may be restarting).

Sibling processes share the last fetched document through the cache (Redis in production) so a
new process does not depend on auth-service being up. Whoever can write to that cache must not
be able to add a key: the entry is the document exactly as fetched from `COTASK_JWKS_URL`, with
the URL and the fetch time, signed with an HMAC of this service's `SECRET_KEY`; an entry that
does not verify, names another URL or is older than the refresh interval is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string
from jwt.algorithms import RSAAlgorithm

logger = logging.getLogger("cotask.security")

JWKS_CACHE_KEY = "cotask:jwks:v2"


def _wall_clock() -> float:
    """The time the refresh schedule reads (a function of its own so tests can move it)."""
    return time.time()


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


# Called when a key went away; the token cache (`security.tokens`) registers itself here, so
# keys, which tokens build on, need not import it.
_on_key_removed: list[Callable[[], None]] = []


def on_key_removed(callback: Callable[[], None]) -> None:
    _on_key_removed.append(callback)


def forget_verified_tokens() -> None:
    """A key went away: tokens verified with it must be checked again (and fail)."""
    for callback in _on_key_removed:
        callback()


class StaticJWKSProvider:
    """Keys given up front: auth-service's own keys, or a test key set."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = keys_from_jwks(jwks)

    def get_key(self, kid: str) -> Any | None:
        return self._keys.get(kid)


def _cache_mac(*, url: str, fetched_at: float, document: str) -> str:
    message = json.dumps([url, fetched_at, document]).encode()
    secret = hashlib.sha256(b"cotask.jwks-cache:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _cache_key() -> str:
    # Per service: each signs with its own secret, so one service's entry is useless to another.
    return f"{JWKS_CACHE_KEY}:{getattr(settings, 'COTASK_SERVICE', 'service')}"


class RemoteJWKSProvider:
    def __init__(
        self,
        url: str | None = None,
        *,
        timeout: float = 3.0,
        min_refresh_interval: float = 5.0,
        refresh_interval: float | None = None,
    ) -> None:
        self.url = url or settings.COTASK_JWKS_URL
        self.timeout = timeout
        self.min_refresh_interval = min_refresh_interval
        self.refresh_interval = float(
            refresh_interval
            if refresh_interval is not None
            else settings.COTASK_JWKS_REFRESH_SECONDS
        )
        self._keys: dict[str, Any] = {}
        self._last_attempt = float("-inf")  # monotonic
        self._retry_after = float("-inf")  # monotonic; after a failed fetch
        self._fetched_at = float("-inf")  # wall clock of the document we hold
        self._lock = threading.Lock()

    def get_key(self, kid: str) -> Any | None:
        if _wall_clock() - self._fetched_at >= self.refresh_interval:
            self._scheduled_refresh()
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            if kid in self._keys:
                return self._keys[kid]
            if time.monotonic() - self._last_attempt >= self.min_refresh_interval:
                self._fetch()
        return self._keys.get(kid)

    def _scheduled_refresh(self) -> None:
        # One thread refreshes; the others go on with the keys in hand (unless there are none).
        if not self._lock.acquire(blocking=not self._keys):
            return
        try:
            if _wall_clock() - self._fetched_at < self.refresh_interval:
                return
            if not self._keys and self._load_from_cache():
                return
            if time.monotonic() >= self._retry_after:
                self._fetch()
        finally:
            self._lock.release()

    def _install(self, jwks: dict[str, Any], fetched_at: float) -> None:
        keys = keys_from_jwks(jwks)
        removed = set(self._keys) - set(keys)
        self._keys = keys
        self._fetched_at = fetched_at
        if removed:
            logger.info("jwks keys removed", extra={"kids": sorted(removed)})
            forget_verified_tokens()

    def _load_from_cache(self) -> bool:
        try:
            entry = cache.get(_cache_key())
        except Exception as exc:  # the cache is an optimisation only: fetch instead
            logger.warning("jwks cache read failed", extra={"error": str(exc)})
            return False
        try:
            url, fetched_at, document, mac = (
                entry["url"],
                float(entry["fetched_at"]),
                entry["document"],
                entry["mac"],
            )
            expected = _cache_mac(url=url, fetched_at=fetched_at, document=document)
            if url != self.url or not hmac.compare_digest(str(mac), expected):
                raise ValueError("not ours")
            if not 0 <= _wall_clock() - fetched_at < self.refresh_interval:
                return False  # too old to trust for key removal: fetch instead
            self._install(json.loads(document), fetched_at)
        except (TypeError, KeyError, ValueError):
            if entry is not None:
                logger.warning("jwks cache entry ignored: it does not verify")
            return False
        return True

    def _fetch(self) -> None:
        self._last_attempt = time.monotonic()
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as response:  # noqa: S310
                document = response.read().decode()
            jwks = json.loads(document)
            if not isinstance(jwks, dict):
                raise ValueError("not a JWKS document")
        except Exception as exc:  # keep the keys we have: auth-service may be restarting
            logger.warning("jwks fetch failed", extra={"url": self.url, "error": str(exc)})
            self._retry_after = time.monotonic() + self.min_refresh_interval
            return
        fetched_at = _wall_clock()
        self._install(jwks, fetched_at)
        entry = {
            "url": self.url,
            "fetched_at": fetched_at,
            "document": document,
            "mac": _cache_mac(url=self.url, fetched_at=fetched_at, document=document),
        }
        try:
            cache.set(_cache_key(), entry, timeout=max(60, int(self.refresh_interval)))
        except Exception as exc:  # the cache is an optimisation only
            logger.warning("jwks cache write failed", extra={"error": str(exc)})


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
