"""Request id: taken from the gateway's `X-Request-ID` (or made here), logged and echoed back;
and the unread rest of a request body, drained so the connection stays usable."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse

from cotask_common.logging import request_id_var

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(self.header, "")
        # Never trust a client to inject arbitrary text into our logs.
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[self.header] = request_id
        return response


# A body larger than this is not drained: nginx never passes one (its limit is 25 MB, and the
# streamed direct-upload path asks for "Connection: close"), so only a client talking to the
# service directly can send it, and the server may then close the connection.
DRAIN_MAX_BYTES = 32 * 1024 * 1024
_DRAIN_CHUNK = 64 * 1024


class DrainRequestBodyMiddleware:
    """Read what is left of the request body before the response goes out.

    A view that answers early (401, 403, 413, 415, 429, ...) leaves the body unread. gunicorn
    then announces keep-alive but closes the connection when it cannot discard more than 64 KiB
    of leftover body; nginx keeps that upstream connection for the next request, whose POST
    fails with 502 "upstream prematurely closed connection". Draining here keeps the connection
    usable. Outermost in MIDDLEWARE, so it also covers responses made by other middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        drain_request_body(request)
        return response


def drain_request_body(request: HttpRequest) -> int:
    """Discard the unread rest of a WSGI request's body; returns the bytes discarded."""
    # The WSGI handler's body stream: once `request.body` has been read it is replaced by an
    # in-memory copy, and ASGI requests arrive with the whole body already read.
    stream = getattr(request, "_stream", None)
    if not isinstance(stream, LimitedStream):
        return 0
    # The server closes the connection after this response anyway: nothing to keep usable.
    if "close" in request.headers.get("Connection", "").lower():
        return 0
    if stream.limit > DRAIN_MAX_BYTES:
        return 0
    drained = 0
    try:
        while chunk := stream.read(_DRAIN_CHUNK):
            drained += len(chunk)
    except OSError:
        # The client went away: the server closes this connection itself.
        pass
    return drained
