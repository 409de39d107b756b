"""Signed URLs for the local storage, with the same meaning as S3's presigned URLs: whoever holds
the URL may do exactly that one request (this method, this object, these headers) until it
expires. The signature is an HMAC-SHA256 under a key derived from SECRET_KEY."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "cotask.media.local-object"


def _canonical(method: str, key: str, expires: int, params: dict[str, str]) -> str:
    lines = [method.upper(), key, str(expires)]
    lines += [f"{name}={params[name]}" for name in sorted(params)]
    return "\n".join(lines)


def signature(*, method: str, key: str, expires: int, params: dict[str, str]) -> str:
    return salted_hmac(
        SALT, _canonical(method, key, expires, params), algorithm="sha256"
    ).hexdigest()


def signed_query(*, method: str, key: str, expires_in: int, params: dict[str, str]) -> str:
    expires = int(time.time()) + max(1, expires_in)
    query = {
        **params,
        "expires": str(expires),
        "signature": signature(method=method, key=key, expires=expires, params=params),
    }
    return urlencode(query)


class SignatureProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def verify(*, method: str, key: str, query: dict[str, str], signed_params: tuple[str, ...]) -> dict:
    """The signed parameters when the query's signature is valid and unexpired; raises
    SignatureProblem otherwise (a 403 like S3's)."""
    try:
        expires = int(query.get("expires", ""))
    except ValueError as exc:
        raise SignatureProblem("signature_invalid", "The URL is not a signed URL.") from exc
    params = {name: query.get(name, "") for name in signed_params}
    expected = signature(method=method, key=key, expires=expires, params=params)
    if not constant_time_compare(expected, query.get("signature", "")):
        raise SignatureProblem(
            "signature_invalid", "The URL's signature does not match; request a new URL."
        )
    if expires < time.time():
        raise SignatureProblem("signature_expired", "The URL has expired; request a new one.")
    return params
