"""The pages behind the links in account emails, served on the gateway at `/verify-email`,
`/reset-password` and `/restore-email` until a web client takes them over (the link base URL is
`EMAIL_LINK_BASE_URL`). A GET shows what the link will do and changes nothing (mail scanners
prefetch links); the page's form POSTs the token back (CSRF-protected) and the same services as
the API do the work."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from auth.accounts import services
from cotask_common.errors import ServiceError
from cotask_common.pages import page_language, render_page

TEMPLATE = "cotask/link_page.html"


def _token(request: HttpRequest) -> str:
    return (request.POST.get("token") or request.GET.get("token") or "").strip()[:1024]


def _link_error(exc: ServiceError) -> str:
    """The page's words for a refused link (the API's messages are English-only codes' texts)."""
    if exc.code == "token_expired":
        return _("This link has expired. Ask for a new one.")
    if exc.code == "email_taken":
        return _("This address belongs to another account now.")
    return _("This link is invalid, has expired or was already used.")


def _page(request: HttpRequest, language: str, status: int = 200, **context: Any) -> HttpResponse:
    return render_page(request, TEMPLATE, {"language": language, **context}, status=status)


@require_http_methods(["GET", "POST"])
def verify_email_page(request: HttpRequest) -> HttpResponse:
    language = page_language(request)
    token = _token(request)
    with translation.override(language):
        title = _("Confirm your email address")
        try:
            if request.method == "POST":
                user = services.verify_email(token=token)
                done = _("%(email)s is now confirmed as the address of your CoTask account.") % {
                    "email": user.email
                }
                return _page(request, language, title=title, done=done)
            _user_id, email = services.read_email_verification_token(token=token)
        except ServiceError as exc:
            return _page(request, language, 400, title=title, error=_link_error(exc))
        line = _("Confirm that %(email)s is your email address for CoTask.") % {"email": email}
        return _page(
            request,
            language,
            title=title,
            lines=[line],
            token=token,
            form={"button": _("Confirm")},
        )


@require_http_methods(["GET", "POST"])
def reset_password_page(request: HttpRequest) -> HttpResponse:
    language = page_language(request)
    token = _token(request)
    with translation.override(language):
        title = _("Choose a new password")
        form = {"button": _("Save the new password"), "password_label": _("New password")}
        try:
            user = services.user_for_reset_token(token=token)
        except ServiceError as exc:
            return _page(request, language, 400, title=title, error=_link_error(exc))
        lines = [
            _("Choose a new password for the CoTask account %(username)s.")
            % {"username": user.username}
        ]
        if request.method == "POST":
            try:
                services.reset_password(
                    token=token, new_password=request.POST.get("new_password", "")[:128]
                )
            except ServiceError as exc:
                if exc.code != "invalid_password":
                    return _page(request, language, 400, title=title, error=_link_error(exc))
                problems = [item["message"] for item in (exc.fields or {}).get("new_password", [])]
                return _page(
                    request,
                    language,
                    400,
                    title=title,
                    lines=lines,
                    problems=problems,
                    token=token,
                    form=form,
                )
            done = _("Your password has been changed and every session ended. Log in again.")
            return _page(request, language, title=title, done=done)
        return _page(request, language, title=title, lines=lines, token=token, form=form)


@require_http_methods(["GET", "POST"])
def restore_email_page(request: HttpRequest) -> HttpResponse:
    language = page_language(request)
    token = _token(request)
    with translation.override(language):
        title = _("Keep your email address")
        try:
            if request.method == "POST":
                user = services.restore_email(token=token)
                done = _(
                    "%(email)s is the address of your account again and every session has "
                    "ended. We have sent it a link to choose a new password."
                ) % {"email": user.email}
                return _page(request, language, title=title, done=done)
            restore = services.read_email_restore_token(token=token)
        except ServiceError as exc:
            return _page(request, language, 400, title=title, error=_link_error(exc))
        lines = [
            _(
                "If you did not ask to change the email address of the CoTask account "
                "%(username)s, keep %(email)s as its address."
            )
            % {"username": restore.user.username, "email": restore.email},
            _(
                "This also ends every session of the account and disables its password: you "
                "will get a link at this address to choose a new one."
            ),
        ]
        return _page(
            request,
            language,
            title=title,
            lines=lines,
            token=token,
            form={"button": _("Keep my address and secure the account")},
        )
