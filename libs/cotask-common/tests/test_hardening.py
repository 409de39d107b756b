"""Hardening of what every service shares: unread request bodies, TLS settings."""

from __future__ import annotations

import io

import pytest
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
