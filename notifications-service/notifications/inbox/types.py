"""The notification types: default channels, grouping, and their short texts.

The texts are gettext messages in the service's catalogues (`notifications/locale/`). A
notification is rendered once, when it is made (or regrouped, or an actor's account goes), in
the *recipient's* language (`Recipient.language`, from auth's events: there is no request in an
event handler), and stored with that language: the API and the socket return the stored text.
The grouped form is an `ngettext` message numbered by `others`, so every language says
"A and 1 other" / "A and 12 others" by its own plural rules (ru and uk have three forms).
A service that adds types (tasks, habits, chat) adds entries with `register_type`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext_lazy


@dataclass(frozen=True)
class NotificationType:
    key: str
    # gettext_lazy; placeholders `%(actor)s` plus any `params` (`%(page)s`, `%(what)s`, …).
    single: Any = None
    # ngettext_lazy(singular, plural, "others"): the form is chosen by `others` (≥ 1).
    grouped: Any = None
    # ngettext_lazy(singular, plural, "count"): the text of one notification about `count`
    # things (a param, ≥ 2), e.g. the habits due at one reminder time; else `single`.
    several: Any = None
    # Before the catalogues: {"en": (single, grouped), ...} with `{name}` placeholders. Still
    # read for a type registered that way; new types use `single` / `grouped`.
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)
    in_app: bool = True
    realtime: bool = True
    email: bool = True
    # Bursts on one target within the group window become one row.
    groupable: bool = False
    # Emailed in a digest even when the user chose immediate emails (new posts).
    digest_only: bool = False
    # Emailed only while still unread after the person's chosen delay, once per notification
    # (chat: one email about the conversations whose messages wait; `tasks.send_unread_emails`).
    email_when_unread: bool = False
    # Critical account messages: emailed regardless of preferences but the frequency "off".
    mandatory: bool = False
    # Shown in the preferences (gettext_lazy: in the reader's language).
    description: Any = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def render(self, *, language: str, actor: str, others: int, params: dict[str, Any]) -> str:
        """The text in `language`. A param is a plain value or {"en": ..., "ru": ..., "uk": ...}
        (the words of `WHAT`, `ACTIONS`, `REPORT_OUTCOMES`, stored that way in `data.params`)."""
        values: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, dict):
                value = value.get(language) or value.get("en", "")
            if isinstance(value, str | int):
                values[key] = value
        values.update(actor=actor, others=others)
        if self.single is None:
            return self._render_legacy(language=language, values=values)
        with translation.override(language):
            try:
                if others > 0 and self.grouped is not None:
                    return str(self.grouped % values)[:500]
                count = values.get("count")
                if self.several is not None and isinstance(count, int) and count > 1:
                    return str(self.several % values)[:500]
                return (str(self.single) % values)[:500]
            except (KeyError, TypeError, ValueError):
                # A producer left a key out: still say something useful.
                return (str(self.single) % _Blank(values))[:500]

    def _render_legacy(self, *, language: str, values: dict[str, Any]) -> str:
        single, grouped = self.texts.get(language) or self.texts["en"]
        others = values["others"]
        if others > 0 and language == "en" and others == 1:
            grouped = grouped.replace("} others ", "} other ")
        template = grouped if others > 0 else single
        try:
            return template.format(**values)[:500]
        except (KeyError, IndexError):
            return single.format_map(_Blank(values))[:500]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "…"


TYPES: dict[str, NotificationType] = {}


def register_type(notification_type: NotificationType) -> NotificationType:
    TYPES[notification_type.key] = notification_type
    return notification_type


def get_type(key: str) -> NotificationType:
    return TYPES[key]


def in_every_language(text: Promise | str) -> dict[str, str]:
    """A lazy text in every language, as a param is stored (`data.params`): the notification
    is rendered again in its language later (an actor's account deleted), with no catalogue
    lookup of a word that may have changed meanwhile."""
    words = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            words[language] = str(text)
    return words


def counted(phrase: Callable[[int], str], count: int) -> dict[str, str]:
    """`phrase(count)` (an `ngettext` phrase) in every language, as a param is stored: each
    language's plural rules pick the form ("1 day", "2 дня", "5 днів")."""
    found = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            found[language] = phrase(count)
    return found


def word(table: Mapping[str, Promise], key: str, *, default: str | None = None) -> dict[str, str]:
    """`table[key]` in every language; an unknown key reads as `table[default]`, or as itself."""
    if key in table:
        return in_every_language(table[key])
    if default is not None:
        return in_every_language(table[default])
    return {language: key for language, _name in settings.LANGUAGES}


FOLLOWER = register_type(
    NotificationType(
        key="follower",
        description=gettext_lazy("Someone followed your page."),
        groupable=True,
        email=False,
        single=gettext_lazy("%(actor)s followed %(page)s"),
        grouped=ngettext_lazy(
            "%(actor)s and %(others)d other followed %(page)s",
            "%(actor)s and %(others)d others followed %(page)s",
            "others",
        ),
    )
)
FOLLOW_REQUEST = register_type(
    NotificationType(
        key="follow_request",
        description=gettext_lazy("Someone asked to follow your private page."),
        groupable=True,
        single=gettext_lazy("%(actor)s asked to follow %(page)s"),
        grouped=ngettext_lazy(
            "%(actor)s and %(others)d other asked to follow %(page)s",
            "%(actor)s and %(others)d others asked to follow %(page)s",
            "others",
        ),
    )
)
FOLLOW_APPROVED = register_type(
    NotificationType(
        key="follow_approved",
        description=gettext_lazy("Your follow request was approved."),
        single=gettext_lazy("Your request to follow %(page)s was approved"),
    )
)
LIKE = register_type(
    NotificationType(
        key="like",
        description=gettext_lazy("Someone liked your post or comment."),
        groupable=True,
        email=False,
        single=gettext_lazy("%(actor)s liked your %(what)s"),
        grouped=ngettext_lazy(
            "%(actor)s and %(others)d other liked your %(what)s",
            "%(actor)s and %(others)d others liked your %(what)s",
            "others",
        ),
    )
)
COMMENT = register_type(
    NotificationType(
        key="comment",
        description=gettext_lazy("Someone commented on your post."),
        groupable=True,
        single=gettext_lazy("%(actor)s commented on your post"),
        grouped=ngettext_lazy(
            "%(actor)s and %(others)d other commented on your post",
            "%(actor)s and %(others)d others commented on your post",
            "others",
        ),
    )
)
REPLY = register_type(
    NotificationType(
        key="reply",
        description=gettext_lazy("Someone replied to your comment or post."),
        groupable=True,
        single=gettext_lazy("%(actor)s replied to your %(what)s"),
        grouped=ngettext_lazy(
            "%(actor)s and %(others)d other replied to your %(what)s",
            "%(actor)s and %(others)d others replied to your %(what)s",
            "others",
        ),
    )
)
MENTION = register_type(
    NotificationType(
        key="mention",
        description=gettext_lazy("Someone mentioned you."),
        single=gettext_lazy("%(actor)s mentioned you"),
    )
)
NEW_POST = register_type(
    NotificationType(
        key="new_post",
        description=gettext_lazy("A page you asked alerts for published a post."),
        digest_only=True,
        single=gettext_lazy("New post on %(page)s"),
    )
)
MODERATION = register_type(
    NotificationType(
        key="moderation",
        description=gettext_lazy("A moderator acted on your content or page."),
        mandatory=True,
        single=gettext_lazy("A moderator %(action)s your %(what)s. Reason: %(reason)s"),
    )
)
REPORT_RESOLVED = register_type(
    NotificationType(
        key="report_resolved",
        description=gettext_lazy("A moderator reviewed something you reported."),
        email=False,
        single=gettext_lazy("Your report was reviewed: %(outcome)s"),
    )
)
MENTOR_REVIEWED = register_type(
    NotificationType(
        key="mentor_reviewed",
        description=gettext_lazy("A student reviewed you as a mentor."),
        single=gettext_lazy("%(actor)s reviewed you as a mentor: %(rating)s of 5"),
    )
)
REVIEW_ANSWERED = register_type(
    NotificationType(
        key="review_answered",
        description=gettext_lazy("A mentor answered your review."),
        single=gettext_lazy("%(actor)s answered your review"),
    )
)
LEARNING_OFFER = register_type(
    NotificationType(
        key="learning_offer",
        description=gettext_lazy("A mentor made an offer on your learning request."),
        single=gettext_lazy("%(actor)s made an offer on your learning request"),
    )
)
LEARNING_REQUEST_MATCH = register_type(
    NotificationType(
        key="learning_request_match",
        description=gettext_lazy("A new learning request matches the subjects you teach."),
        email=False,
        single=gettext_lazy("%(actor)s is looking for a mentor in a subject you teach"),
    )
)
BANNED = register_type(
    NotificationType(
        key="account_banned",
        description=gettext_lazy("Your account was banned."),
        mandatory=True,
        realtime=False,
        single=gettext_lazy("Your account is banned %(until)s. Reason: %(reason)s"),
    )
)
UNBANNED = register_type(
    NotificationType(
        key="account_unbanned",
        description=gettext_lazy("Your account's ban was lifted."),
        mandatory=True,
        single=gettext_lazy("Your account is no longer banned"),
    )
)

# tasks-service (handlers in notifications/rooms/events.py). %(task)s and %(room)s are the
# task's title and the room's name at the time of the change.
ROOM_JOINED = register_type(
    NotificationType(
        key="room_joined",
        description=gettext_lazy("Someone joined a room you own or administer."),
        groupable=True,
        email=False,
        single=gettext_lazy("%(actor)s joined %(room)s"),
        grouped=ngettext_lazy(
            "%(actor)s and %(others)d other joined %(room)s",
            "%(actor)s and %(others)d others joined %(room)s",
            "others",
        ),
    )
)
ROOM_REMOVED = register_type(
    NotificationType(
        key="room_removed",
        description=gettext_lazy("An admin removed you from a room."),
        # Who removed them is not named (like a moderator): the room is what they lost.
        single=gettext_lazy("You were removed from %(room)s"),
    )
)
TASK_ASSIGNED = register_type(
    NotificationType(
        key="task_assigned",
        description=gettext_lazy("Someone assigned a task to you."),
        single=gettext_lazy("%(actor)s assigned you “%(task)s” in %(room)s"),
    )
)
TASK_COMMENTED = register_type(
    NotificationType(
        key="task_commented",
        description=gettext_lazy("Someone commented on a task you created or are assigned to."),
        groupable=True,
        single=gettext_lazy("%(actor)s commented on “%(task)s”"),
        grouped=ngettext_lazy(
            "%(actor)s and %(others)d other commented on “%(task)s”",
            "%(actor)s and %(others)d others commented on “%(task)s”",
            "others",
        ),
    )
)
TASK_MENTIONED = register_type(
    NotificationType(
        key="task_mentioned",
        description=gettext_lazy("Someone mentioned you in a comment on a task."),
        single=gettext_lazy("%(actor)s mentioned you on “%(task)s”"),
    )
)
# Deadlines (tasks-service's reminder pass). %(due)s is a phrase stored in every language
# ("in 1 hour", "через 2 часа", "tomorrow"; `rooms.services.due_phrase`), so the sentence
# holds no number of its own. Nobody acted: no actor, never grouped.
TASK_REMINDER = register_type(
    NotificationType(
        key="task_reminder",
        description=gettext_lazy("A reminder before the deadline of a task of yours."),
        single=gettext_lazy("Reminder: “%(task)s” is due %(due)s"),
    )
)
TASK_OVERDUE = register_type(
    NotificationType(
        key="task_overdue",
        description=gettext_lazy("An open task of yours is past its deadline."),
        single=gettext_lazy("“%(task)s” is overdue"),
    )
)
# Chat (social-service): a member without an open socket hears of new messages, one notification
# per conversation while unread (grouped by who wrote); none for a muted conversation. Emailed
# only when still unread after the person's delay (`chat_email_delay_minutes`), in one email
# about every such conversation, never one by one; reading the conversation clears it.
CHAT_MESSAGE = register_type(
    NotificationType(
        key="chat_message",
        description=gettext_lazy("A new chat message while you were away."),
        groupable=True,
        email_when_unread=True,
        single=gettext_lazy("New message from %(actor)s"),
        grouped=ngettext_lazy(
            "New messages from %(actor)s and %(others)d other",
            "New messages from %(actor)s and %(others)d others",
            "others",
        ),
    )
)

# The goal concretizer (tasks-service): a plan the person asked for is ready, asks questions, or
# could not be made. Only its owner is told, live and in the inbox (so a reconnecting socket
# catches up); nobody acted, no email. `data` carries the plan's id to fetch it by.
PLAN_READY = register_type(
    NotificationType(
        key="plan_ready",
        description=gettext_lazy("A plan you asked the concretizer for is ready."),
        email=False,
        single=gettext_lazy("Your plan for “%(goal)s” is ready"),
    )
)
PLAN_QUESTIONS = register_type(
    NotificationType(
        key="plan_questions",
        description=gettext_lazy("The concretizer needs answers before it can plan your goal."),
        email=False,
        single=gettext_lazy("A few questions before planning “%(goal)s”"),
    )
)
PLAN_FAILED = register_type(
    NotificationType(
        key="plan_failed",
        description=gettext_lazy("A plan you asked the concretizer for could not be made."),
        email=False,
        single=gettext_lazy("Your plan for “%(goal)s” could not be made: please try again"),
    )
)
VIDEO_READY = register_type(
    NotificationType(
        key="video_ready",
        description=gettext_lazy("A video you uploaded was converted and is ready to watch."),
        email=False,
        single=gettext_lazy("Your video “%(video)s” is ready"),
    )
)
VIDEO_FAILED = register_type(
    NotificationType(
        key="video_failed",
        description=gettext_lazy("A video you uploaded could not be converted."),
        email=False,
        single=gettext_lazy("Your video “%(video)s” could not be converted"),
    )
)

# Words that fill %(what)s / %(action)s / %(outcome)s; stored per language (`word`).
WHAT = {
    "post": pgettext_lazy("what a notification is about", "post"),
    "comment": pgettext_lazy("what a notification is about", "comment"),
    "page": pgettext_lazy("what a notification is about", "page"),
    "message": pgettext_lazy("what a notification is about", "message"),
}
# What came of a report, as the reporter is told (social's `outcome`).
REPORT_OUTCOMES = {
    "none": gettext_lazy("no action was needed"),
    "delete": gettext_lazy("the content was removed"),
    "block_page": gettext_lazy("the page was blocked"),
}
ACTIONS = {
    "removed": pgettext_lazy("a moderator … your post", "removed"),
    "blocked": pgettext_lazy("a moderator … your page", "blocked"),
    "unblocked": pgettext_lazy("a moderator … your page", "unblocked"),
    "warned": pgettext_lazy("a moderator … your post", "warned about"),
}
