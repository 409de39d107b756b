"""Small server-rendered pages behind the links in emails (verify an address, reset a password,
restore an address, unsubscribe), until a web client takes the links over.

A GET only shows what the link will do: mail scanners prefetch links, so nothing changes until
the person submits the page's form (a POST with Django's CSRF token). The page speaks the
language the link names (`?lang=`), else the browser's (`Accept-Language`), else English.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

LANGUAGES = ("en", "ru", "uk")


def page_language(request: HttpRequest) -> str:
    """`?lang=` (put into the link by the service that mailed it), else Accept-Language."""
    asked = (request.GET.get("lang") or request.POST.get("lang") or "").strip().lower()
    if asked in LANGUAGES:
        return asked
    found = translation.get_language_from_request(request)
    return found if found in LANGUAGES else "en"


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """Render a link page; it carries a token in its URL, so it is never cached, never indexed
    and never leaks its address to another site through the Referer header."""
    language = context.get("language") or page_language(request)
    with translation.override(language):
        html = render_to_string(template, {"language": language, **context}, request=request)
    response = HttpResponse(html, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response["Content-Language"] = language
    return response


def link_base_url() -> str:
    """Where the links in emails point (`EMAIL_LINK_BASE_URL`): the gateway, or a web client."""
    return str(getattr(settings, "EMAIL_LINK_BASE_URL", "http://127.0.0.1:8080")).rstrip("/")
