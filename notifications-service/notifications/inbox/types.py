# ruff: noqa: RUF001 - Russian and Ukrainian texts are meant to be Cyrillic
"""The notification types: default channels, grouping, and their short texts in en / ru / uk.

Texts are kept here rather than in gettext catalogues because they are rendered for the
*recipient's* language inside event handlers (no request, no active locale), and because the
grouped form avoids plural nouns ("A и ещё 12 …"), so one template per language suffices.
A service that adds types (tasks, habits, chat) adds entries with `register_type`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NotificationType:
    key: str
    # {"en": (single, grouped), ...}; placeholders: actor, others, plus any `params`.
    texts: dict[str, tuple[str, str]]
    in_app: bool = True
    realtime: bool = True
    email: bool = True
    # Bursts on one target within the group window become one row.
    groupable: bool = False
    # Emailed in a digest even when the user chose immediate emails (new posts).
    digest_only: bool = False
    # Critical account messages: emailed regardless of preferences but the frequency "off".
    mandatory: bool = False
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def render(self, *, language: str, actor: str, others: int, params: dict[str, Any]) -> str:
        single, grouped = self.texts.get(language) or self.texts["en"]
        if others > 0 and language == "en" and others == 1:
            grouped = grouped.replace("} others ", "} other ")
        template = grouped if others > 0 else single
        # A param may be a plain value or {"en": ..., "ru": ..., "uk": ...} (WHAT, ACTIONS).
        values: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, dict):
                value = value.get(language) or value.get("en", "")
            if isinstance(value, str | int):
                values[key] = value
        values.update(actor=actor, others=others)
        try:
            return template.format(**values)[:500]
        except (KeyError, IndexError):  # a producer left a key out: still say something useful
            template = (self.texts.get(language) or self.texts["en"])[0]
            return template.format_map(_Blank(values))[:500]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "…"


TYPES: dict[str, NotificationType] = {}


def register_type(notification_type: NotificationType) -> NotificationType:
    TYPES[notification_type.key] = notification_type
    return notification_type


def get_type(key: str) -> NotificationType:
    return TYPES[key]


FOLLOWER = register_type(
    NotificationType(
        key="follower",
        description="Someone followed your page.",
        groupable=True,
        email=False,
        texts={
            "en": ("{actor} followed {page}", "{actor} and {others} others followed {page}"),
            "ru": (
                "{actor} подписывается на {page}",
                "{actor} и ещё {others} подписались на {page}",
            ),
            "uk": (
                "{actor} підписується на {page}",
                "{actor} та ще {others} підписалися на {page}",
            ),
        },
    )
)
FOLLOW_REQUEST = register_type(
    NotificationType(
        key="follow_request",
        description="Someone asked to follow your private page.",
        groupable=True,
        texts={
            "en": (
                "{actor} asked to follow {page}",
                "{actor} and {others} others asked to follow {page}",
            ),
            "ru": (
                "{actor} просит подписку на {page}",
                "{actor} и ещё {others} просят подписку на {page}",
            ),
            "uk": (
                "{actor} просить підписку на {page}",
                "{actor} та ще {others} просять підписку на {page}",
            ),
        },
    )
)
FOLLOW_APPROVED = register_type(
    NotificationType(
        key="follow_approved",
        description="Your follow request was approved.",
        texts={
            "en": ("Your request to follow {page} was approved", ""),
            "ru": ("Ваш запрос на подписку на {page} одобрен", ""),
            "uk": ("Ваш запит на підписку на {page} схвалено", ""),
        },
    )
)
LIKE = register_type(
    NotificationType(
        key="like",
        description="Someone liked your post or comment.",
        groupable=True,
        email=False,
        texts={
            "en": ("{actor} liked your {what}", "{actor} and {others} others liked your {what}"),
            "ru": ("{actor}: «нравится» — {what}", "{actor} и ещё {others}: «нравится» — {what}"),
            "uk": (
                "{actor}: «подобається» — {what}",
                "{actor} та ще {others}: «подобається» — {what}",
            ),
        },
    )
)
COMMENT = register_type(
    NotificationType(
        key="comment",
        description="Someone commented on your post.",
        groupable=True,
        texts={
            "en": (
                "{actor} commented on your post",
                "{actor} and {others} others commented on your post",
            ),
            "ru": (
                "{actor} комментирует ваш пост",
                "{actor} и ещё {others} прокомментировали ваш пост",
            ),
            "uk": (
                "{actor} коментує ваш допис",
                "{actor} та ще {others} прокоментували ваш допис",
            ),
        },
    )
)
REPLY = register_type(
    NotificationType(
        key="reply",
        description="Someone replied to your comment or post.",
        groupable=True,
        texts={
            "en": (
                "{actor} replied to your {what}",
                "{actor} and {others} others replied to your {what}",
            ),
            "ru": ("{actor} отвечает вам: {what}", "{actor} и ещё {others} ответили вам: {what}"),
            "uk": (
                "{actor} відповідає вам: {what}",
                "{actor} та ще {others} відповіли вам: {what}",
            ),
        },
    )
)
MENTION = register_type(
    NotificationType(
        key="mention",
        description="Someone mentioned you.",
        texts={
            "en": ("{actor} mentioned you", ""),
            "ru": ("{actor} упоминает вас", ""),
            "uk": ("{actor} згадує вас", ""),
        },
    )
)
NEW_POST = register_type(
    NotificationType(
        key="new_post",
        description="A page you asked alerts for published a post.",
        digest_only=True,
        texts={
            "en": ("New post on {page}", ""),
            "ru": ("Новый пост на {page}", ""),
            "uk": ("Новий допис на {page}", ""),
        },
    )
)
MODERATION = register_type(
    NotificationType(
        key="moderation",
        description="A moderator acted on your content or page.",
        mandatory=True,
        texts={
            "en": ("A moderator {action} your {what}. Reason: {reason}", ""),
            "ru": ("Модератор: {action} — {what}. Причина: {reason}", ""),
            "uk": ("Модератор: {action} — {what}. Причина: {reason}", ""),
        },
    )
)
REPORT_RESOLVED = register_type(
    NotificationType(
        key="report_resolved",
        description="A moderator reviewed something you reported.",
        email=False,
        texts={
            "en": ("Your report was reviewed: {outcome}", ""),
            "ru": ("Ваша жалоба рассмотрена: {outcome}", ""),
            "uk": ("Вашу скаргу розглянуто: {outcome}", ""),
        },
    )
)
BANNED = register_type(
    NotificationType(
        key="account_banned",
        description="Your account was banned.",
        mandatory=True,
        realtime=False,
        texts={
            "en": ("Your account is banned {until}. Reason: {reason}", ""),
            "ru": ("Ваш аккаунт заблокирован {until}. Причина: {reason}", ""),
            "uk": ("Ваш акаунт заблоковано {until}. Причина: {reason}", ""),
        },
    )
)
UNBANNED = register_type(
    NotificationType(
        key="account_unbanned",
        description="Your account's ban was lifted.",
        mandatory=True,
        texts={
            "en": ("Your account is no longer banned", ""),
            "ru": ("Блокировка вашего аккаунта снята", ""),
            "uk": ("Блокування вашого акаунта знято", ""),
        },
    )
)

# tasks-service (handlers in notifications/rooms/events.py). {task} and {room} are the task's
# title and the room's name at the time of the change.
ROOM_JOINED = register_type(
    NotificationType(
        key="room_joined",
        description="Someone joined a room you own or administer.",
        groupable=True,
        email=False,
        texts={
            "en": ("{actor} joined {room}", "{actor} and {others} others joined {room}"),
            "ru": (
                "{actor} присоединяется к комнате {room}",
                "{actor} и ещё {others} присоединились к комнате {room}",
            ),
            "uk": (
                "{actor} приєднується до кімнати {room}",
                "{actor} та ще {others} приєдналися до кімнати {room}",
            ),
        },
    )
)
ROOM_REMOVED = register_type(
    NotificationType(
        key="room_removed",
        description="An admin removed you from a room.",
        # Who removed them is not named (like a moderator): the room is what they lost.
        texts={
            "en": ("You were removed from {room}", ""),
            "ru": ("Вас удалили из комнаты {room}", ""),
            "uk": ("Вас видалили з кімнати {room}", ""),
        },
    )
)
TASK_ASSIGNED = register_type(
    NotificationType(
        key="task_assigned",
        description="Someone assigned a task to you.",
        texts={
            "en": ("{actor} assigned you “{task}” in {room}", ""),
            "ru": ("{actor} назначает вам задачу «{task}» в комнате {room}", ""),
            "uk": ("{actor} призначає вам завдання «{task}» у кімнаті {room}", ""),
        },
    )
)
TASK_COMMENTED = register_type(
    NotificationType(
        key="task_commented",
        description="Someone commented on a task you created or are assigned to.",
        groupable=True,
        texts={
            "en": (
                "{actor} commented on “{task}”",
                "{actor} and {others} others commented on “{task}”",
            ),
            "ru": (
                "{actor} комментирует задачу «{task}»",
                "{actor} и ещё {others} прокомментировали задачу «{task}»",
            ),
            "uk": (
                "{actor} коментує завдання «{task}»",
                "{actor} та ще {others} прокоментували завдання «{task}»",
            ),
        },
    )
)
TASK_MENTIONED = register_type(
    NotificationType(
        key="task_mentioned",
        description="Someone mentioned you in a comment on a task.",
        texts={
            "en": ("{actor} mentioned you on “{task}”", ""),
            "ru": ("{actor} упоминает вас в задаче «{task}»", ""),
            "uk": ("{actor} згадує вас у завданні «{task}»", ""),
        },
    )
)

# Words that fill {what} / {action_*} per language.
WHAT = {
    "post": {"en": "post", "ru": "пост", "uk": "допис"},
    "comment": {"en": "comment", "ru": "комментарий", "uk": "коментар"},
    "page": {"en": "page", "ru": "страница", "uk": "сторінка"},
}
# What came of a report, as the reporter is told (social's `outcome`).
REPORT_OUTCOMES = {
    "none": {
        "en": "no action was needed",
        "ru": "нарушений не найдено",
        "uk": "порушень не знайдено",
    },
    "delete": {"en": "the content was removed", "ru": "содержимое удалено", "uk": "вміст видалено"},
    "block_page": {
        "en": "the page was blocked",
        "ru": "страница заблокирована",
        "uk": "сторінку заблоковано",
    },
}
ACTIONS = {
    "removed": {"en": "removed", "ru": "удалено", "uk": "видалено"},
    "blocked": {"en": "blocked", "ru": "заблокировано", "uk": "заблоковано"},
    "unblocked": {"en": "unblocked", "ru": "разблокировано", "uk": "розблоковано"},
    "warned": {"en": "warned about", "ru": "предупреждение", "uk": "попередження"},
}
