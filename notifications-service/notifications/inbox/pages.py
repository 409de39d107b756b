"""The page behind the unsubscribe links in notification emails, served on the gateway at
`/unsubscribe` until a web client takes the links over (`EMAIL_LINK_BASE_URL`). A GET shows what
the link will switch off and changes nothing (mail scanners prefetch links); the page's form
POSTs the token back (CSRF-protected). Mail clients' RFC 8058 one-click POSTs go to the API
(`/api/notifications/unsubscribe/`), named in the List-Unsubscribe header."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from cotask_common.errors import ServiceError
from cotask_common.pages import page_language, render_page
from notifications.inbox import services
from notifications.inbox.services import ALL_TYPES

# gettext (`notifications/locale/`), read in the page's language (`?lang=`, from the email).
WORDS = {
    "title": gettext_lazy("Notification emails"),
    "ask_all": gettext_lazy("Stop all CoTask notification emails to this address?"),
    "ask_type": gettext_lazy("Stop CoTask emails of this kind (%(type)s) to this address?"),
    "button": gettext_lazy("Unsubscribe"),
    "done_all": gettext_lazy("Done: CoTask sends you no more notification emails."),
    "done_type": gettext_lazy("Done: CoTask sends you no more emails of this kind (%(type)s)."),
    "later": gettext_lazy("You can switch them on again in your notification settings."),
    "invalid": gettext_lazy("This unsubscribe link is invalid."),
}

TEMPLATE = "cotask/link_page.html"


@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest) -> HttpResponse:
    language = page_language(request)
    with translation.override(language):
        words = {key: str(text) for key, text in WORDS.items()}
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()[:2048]
    context = {"language": language, "title": words["title"]}
    try:
        if request.method == "POST":
            _user_id, type = services.unsubscribe(token=token)
        else:
            _user_id, type = services.read_unsubscribe_token(token=token)
    except ServiceError:
        return render_page(request, TEMPLATE, {**context, "error": words["invalid"]}, status=400)
    every = type == ALL_TYPES
    if request.method == "POST":
        done = words["done_all"] if every else words["done_type"] % {"type": type}
        return render_page(request, TEMPLATE, {**context, "done": done, "lines": [words["later"]]})
    return render_page(
        request,
        TEMPLATE,
        {
            **context,
            "lines": [words["ask_all"] if every else words["ask_type"] % {"type": type}],
            "token": token,
            "form": {"button": words["button"]},
        },
    )
