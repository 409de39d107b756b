"""The language a request is answered in, the same in every service: the account's saved
language (the access token's `lang` claim, so no service asks auth), else the best match of
`Accept-Language`, else English. The time zone for dates in texts comes the same way (`tz`)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from cotask_common.localtime import zone_named
from cotask_common.security.tokens import decode_token

DEFAULT_LANGUAGE = "en"


def supported_languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def _bearer_claims(request: HttpRequest) -> dict[str, object]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return {}
    try:
        # Verified (and cached per process); a bad token is the authentication's business:
        # it is answered in the Accept-Language's language.
        return decode_token(token.strip())
    except Exception:  # also keys out of reach: the authentication answers that
        return {}


def language_for_request(request: HttpRequest) -> str:
    saved = _bearer_claims(request).get("lang")
    if isinstance(saved, str) and saved in supported_languages():
        return saved
    # Accept-Language only: no cookie and no path prefix, an API has neither.
    accepted = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    return best_accepted_language(accepted) or DEFAULT_LANGUAGE


def best_accepted_language(accept_language: str) -> str | None:
    """The supported language that best matches an `Accept-Language` value, or None (also for
    a websocket handshake's header, where there is no HttpRequest)."""
    for code, _quality in parse_accept_lang_header(accept_language or ""):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def time_zone_for_request(request: HttpRequest) -> ZoneInfo:
    """The account's saved time zone (`tz` claim), else UTC."""
    name = _bearer_claims(request).get("tz")
    return zone_named(name if isinstance(name, str) else None)


class LanguageMiddleware:
    """Answer every request in `language_for_request`'s language; say so in `Content-Language`.
    Error codes stay the same in every language; only the messages change."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for_request(request)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        # Django renders a DRF response inside get_response, so lazy messages resolve in it.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language", "Authorization"))
        return response
