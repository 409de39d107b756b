"""The JWKS of auth-service as other services see it: fetched over HTTP, refreshed on a schedule
(a removed key stops verifying), and shared between processes through the cache in a way that
whoever can write to the cache cannot use to add a key."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from cotask_common.security import keys
from cotask_common.security.keys import RemoteJWKSProvider, set_key_provider
from cotask_common.security.signing import (
    encode_token,
    generate_private_key,
    key_id,
    public_jwk,
    standard_claims,
)
from cotask_common.security.tokens import TokenError, decode_token, verified_tokens


class Key:
    def __init__(self) -> None:
        self.private_key = generate_private_key()
        self.kid = key_id(self.private_key.public_key())
        self.jwk = public_jwk(self.private_key.public_key(), self.kid)

    def token(self) -> str:
        claims = standard_claims(
            user_id=uuid.uuid4(),
            username="ada",
            role="user",
            email_verified=True,
            session_id=uuid.uuid4().hex,
            token_type="access",
            lifetime=timedelta(minutes=5),
            issuer=settings.COTASK_JWT_ISSUER,
            audience=settings.COTASK_JWT_AUDIENCE,
        )
        return encode_token(claims, private_key=self.private_key, kid=self.kid)


class JWKSServer:
    """A real HTTP server standing in for auth-service's JWKS endpoint."""

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                body = json.dumps({"keys": [key.jwk for key in server.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/auth/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def jwks_server() -> Iterator[JWKSServer]:
    server = JWKSServer()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def isolated(settings: Any) -> Iterator[None]:
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"jwks-test-{uuid.uuid4().hex[:12]}"}
        for name, config in settings.CACHES.items()
    }
    verified_tokens.clear()
    yield
    verified_tokens.clear()
    set_key_provider(None)


@pytest.fixture
def clock(monkeypatch: Any) -> Any:
    """The refresh schedule's clock moved forward at will (token expiry keeps real time)."""

    class Clock:
        offset = 0.0

        def advance(self, seconds: float) -> None:
            self.offset += seconds

    state = Clock()
    real = keys._wall_clock
    monkeypatch.setattr(keys, "_wall_clock", lambda: real() + state.offset)
    return state


def install(url: str, *, refresh: float = 300) -> RemoteJWKSProvider:
    provider = RemoteJWKSProvider(url, refresh_interval=refresh)
    set_key_provider(provider)
    return provider


def test_the_jwks_is_fetched_again_on_schedule_and_a_removed_key_stops_verifying(
    jwks_server: JWKSServer, clock: Any
) -> None:
    old, new = Key(), Key()
    jwks_server.keys = [old]
    install(jwks_server.url, refresh=300)
    token = old.token()
    assert decode_token(token)["username"] == "ada"
    assert jwks_server.requests == 1

    jwks_server.keys = [new]  # auth-service retired the old key
    clock.advance(60)
    assert decode_token(token)  # still within the interval: no fetch per request
    assert jwks_server.requests == 1

    clock.advance(241)
    with pytest.raises(TokenError) as refused:
        decode_token(token)  # verified before, from the cache of verified tokens, yet refused
    assert refused.value.code == "token_unknown_key"
    assert jwks_server.requests == 2
    assert decode_token(new.token())["username"] == "ada"


def test_the_refresh_interval_is_a_setting_in_minutes_by_default() -> None:
    assert settings.COTASK_JWKS_REFRESH_SECONDS == 300
    assert RemoteJWKSProvider("http://127.0.0.1:9/").refresh_interval == 300


def test_a_failed_refresh_keeps_the_keys_in_hand(jwks_server: JWKSServer, clock: Any) -> None:
    key = Key()
    jwks_server.keys = [key]
    install(jwks_server.url)
    token = key.token()
    decode_token(token)
    jwks_server.stop()
    clock.advance(301)
    assert decode_token(token)["username"] == "ada"


def test_a_key_written_into_the_shared_cache_is_not_trusted(jwks_server: JWKSServer) -> None:
    genuine, attacker = Key(), Key()
    jwks_server.keys = [genuine]
    document = json.dumps({"keys": [attacker.jwk]})
    forged = {
        "url": jwks_server.url,
        "fetched_at": time.time(),
        "document": document,
        "mac": "0" * 64,
    }
    cache.set(keys._cache_key(), forged)
    install(jwks_server.url)
    with pytest.raises(TokenError) as refused:
        decode_token(attacker.token())
    assert refused.value.code == "token_unknown_key"
    assert decode_token(genuine.token())  # fetched from the URL instead
    # The old format (a bare JWKS under the old key) is not read at all.
    cache.set("cotask:jwks", {"keys": [attacker.jwk]})
    install(jwks_server.url)
    with pytest.raises(TokenError):
        decode_token(attacker.token())


def test_a_sibling_process_shares_the_fetched_document_through_the_cache(
    jwks_server: JWKSServer, clock: Any
) -> None:
    key = Key()
    jwks_server.keys = [key]
    install(jwks_server.url)
    decode_token(key.token())
    assert jwks_server.requests == 1
    jwks_server.stop()  # auth-service is down when the sibling starts

    verified_tokens.clear()
    install(jwks_server.url)  # a new process
    assert decode_token(key.token())["username"] == "ada"

    # Signed for another URL, or too old to say which keys were removed: not used.
    entry = cache.get(keys._cache_key())
    cache.set(keys._cache_key(), {**entry, "url": "http://evil.example/jwks.json"})
    verified_tokens.clear()
    install(jwks_server.url)
    with pytest.raises(TokenError):
        decode_token(key.token())
    cache.set(keys._cache_key(), entry)
    clock.advance(301)
    verified_tokens.clear()
    install(jwks_server.url)
    with pytest.raises(TokenError):
        decode_token(key.token())


def test_the_cache_entry_is_bound_to_this_services_secret(
    jwks_server: JWKSServer, settings: Any
) -> None:
    key = Key()
    jwks_server.keys = [key]
    install(jwks_server.url)
    decode_token(key.token())
    jwks_server.stop()
    settings.SECRET_KEY = "another-service-secret"
    verified_tokens.clear()
    install(jwks_server.url)
    with pytest.raises(TokenError):
        decode_token(key.token())
