# ruff: noqa: RUF001 - Russian and Ukrainian texts are meant to be Cyrillic
"""The page behind the unsubscribe links in notification emails, served on the gateway at
`/unsubscribe` until a web client takes the links over (`EMAIL_LINK_BASE_URL`). A GET shows what
the link will switch off and changes nothing (mail scanners prefetch links); the page's form
POSTs the token back (CSRF-protected). Mail clients' RFC 8058 one-click POSTs go to the API
(`/api/notifications/unsubscribe/`), named in the List-Unsubscribe header."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from cotask_common.errors import ServiceError
from cotask_common.pages import page_language, render_page
from notifications.inbox import services
from notifications.inbox.services import ALL_TYPES

WORDS = {
    "en": {
        "title": "Notification emails",
        "ask_all": "Stop all CoTask notification emails to this address?",
        "ask_type": "Stop CoTask emails of this kind ({type}) to this address?",
        "button": "Unsubscribe",
        "done_all": "Done: CoTask sends you no more notification emails.",
        "done_type": "Done: CoTask sends you no more emails of this kind ({type}).",
        "later": "You can switch them on again in your notification settings.",
        "invalid": "This unsubscribe link is invalid.",
    },
    "ru": {
        "title": "Письма с уведомлениями",
        "ask_all": "Больше не присылать на этот адрес письма с уведомлениями CoTask?",
        "ask_type": "Больше не присылать на этот адрес такие письма CoTask ({type})?",
        "button": "Отписаться",
        "done_all": "Готово: CoTask больше не будет присылать вам письма с уведомлениями.",
        "done_type": "Готово: CoTask больше не будет присылать вам такие письма ({type}).",
        "later": "Их можно снова включить в настройках уведомлений.",
        "invalid": "Эта ссылка для отписки недействительна.",
    },
    "uk": {
        "title": "Листи зі сповіщеннями",
        "ask_all": "Більше не надсилати на цю адресу листи зі сповіщеннями CoTask?",
        "ask_type": "Більше не надсилати на цю адресу такі листи CoTask ({type})?",
        "button": "Відписатися",
        "done_all": "Готово: CoTask більше не надсилатиме вам листи зі сповіщеннями.",
        "done_type": "Готово: CoTask більше не надсилатиме вам такі листи ({type}).",
        "later": "Їх можна знову ввімкнути в налаштуваннях сповіщень.",
        "invalid": "Це посилання для відписки недійсне.",
    },
}

TEMPLATE = "cotask/link_page.html"


@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest) -> HttpResponse:
    language = page_language(request)
    words = WORDS[language]
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()[:2048]
    context = {"language": language, "title": words["title"]}
    try:
        if request.method == "POST":
            _user_id, type = services.unsubscribe(token=token)
        else:
            _user_id, type = services.read_unsubscribe_token(token=token)
    except ServiceError:
        return render_page(request, TEMPLATE, {**context, "error": words["invalid"]}, status=400)
    kind = "all" if type == ALL_TYPES else "type"
    if request.method == "POST":
        done = words[f"done_{kind}"].format(type=type)
        return render_page(request, TEMPLATE, {**context, "done": done, "lines": [words["later"]]})
    return render_page(
        request,
        TEMPLATE,
        {
            **context,
            "lines": [words[f"ask_{kind}"].format(type=type)],
            "token": token,
            "form": {"button": words["button"]},
        },
    )
