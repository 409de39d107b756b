"""Hardening of what every service shares: unread request bodies, TLS settings."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory

BODY_BYTES = 1_000_000


def _call(environ: dict) -> str:
    statuses: list[str] = []

    def start_response(status: str, headers: list, exc_info=None) -> None:
        statuses.append(status)

    response = WSGIHandler()(environ, start_response)
    b"".join(response)
    response.close()
    return statuses[0]


def _post_environ(path: str, body: io.BytesIO, **extra: str) -> dict:
    return {
        **RequestFactory()._base_environ(),
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": "image/png",
        "CONTENT_LENGTH": str(len(body.getvalue())),
        "wsgi.input": body,
        **extra,
    }


@pytest.mark.django_db
def test_a_body_refused_before_it_was_read_is_drained():
    # Anonymous upload: 401 before the view looks at the body. Left unread, the server would
    # close the kept-alive connection the gateway reuses next (502 for someone else).
    body = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * (BODY_BYTES - 8))
    status = _call(_post_environ("/api/kit/whoami", body))
    assert status.startswith("401")
    assert body.tell() == BODY_BYTES


@pytest.mark.django_db
def test_no_drain_when_the_connection_closes_anyway():
    body = io.BytesIO(b"\0" * BODY_BYTES)
    status = _call(_post_environ("/api/kit/whoami", body, HTTP_CONNECTION="close"))
    assert status.startswith("401")
    assert body.tell() < BODY_BYTES


def test_the_drain_middleware_is_outermost(settings):
    assert settings.MIDDLEWARE[0] == "cotask_common.middleware.DrainRequestBodyMiddleware"


def _built(monkeypatch, tmp_path, **env: str) -> dict:
    from cotask_common.settings import build_settings

    for name in ("COTASK_TLS", "COTASK_REQUIRE_SECRETS", "DJANGO_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return build_settings(service="kit", base_dir=tmp_path, local_apps=[], title="t")


def test_tls_turns_on_hsts_and_secure_cookies(monkeypatch, tmp_path):
    plain = _built(monkeypatch, tmp_path)
    assert plain["SECURE_HSTS_SECONDS"] == 0
    assert plain["SESSION_COOKIE_SECURE"] is False
    assert plain["CSRF_COOKIE_SECURE"] is False
    tls = _built(monkeypatch, tmp_path, COTASK_TLS="true")
    assert tls["SECURE_HSTS_SECONDS"] == 31_536_000
    assert tls["SESSION_COOKIE_SECURE"] is True
    assert tls["CSRF_COOKIE_SECURE"] is True
    assert tls["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.django_db
def test_under_tls_an_https_request_via_the_proxy_gets_hsts(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000  # what COTASK_TLS=true sets
    behind_tls = client.get("/api/kit/healthz", HTTP_X_FORWARDED_PROTO="https")
    assert behind_tls["Strict-Transport-Security"].startswith("max-age=31536000")
    # Plain HTTP (a health check inside the network): no HSTS.
    assert "Strict-Transport-Security" not in client.get("/api/kit/healthz")


def test_each_service_takes_its_own_secret_key(monkeypatch, tmp_path):
    own = _built(
        monkeypatch, tmp_path, KIT_DJANGO_SECRET_KEY="kit-only", DJANGO_SECRET_KEY="shared"
    )
    assert own["SECRET_KEY"] == "kit-only"
    monkeypatch.delenv("KIT_DJANGO_SECRET_KEY")
    assert _built(monkeypatch, tmp_path, DJANGO_SECRET_KEY="shared")["SECRET_KEY"] == "shared"


def test_production_refuses_missing_keys_and_any_host(monkeypatch, tmp_path):
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    monkeypatch.delenv("KIT_DJANGO_SECRET_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="KIT_DJANGO_SECRET_KEY"):
        _built(monkeypatch, tmp_path, COTASK_REQUIRE_SECRETS="true")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ALLOWED_HOSTS"):
        _built(
            monkeypatch,
            tmp_path,
            COTASK_REQUIRE_SECRETS="true",
            KIT_DJANGO_SECRET_KEY="k",
            DJANGO_ALLOWED_HOSTS="*",
        )
    built = _built(
        monkeypatch,
        tmp_path,
        COTASK_REQUIRE_SECRETS="true",
        KIT_DJANGO_SECRET_KEY="k",
        DJANGO_ALLOWED_HOSTS="cotask.example.com",
    )
    assert built["ALLOWED_HOSTS"] == ["cotask.example.com"]
