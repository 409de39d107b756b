"""Progress posts: what a person shares (off by default), their followers' mutes, and the post
each event becomes. Privacy rules, in one place:
- nothing is posted unless the person opted into that kind;
- a completed task is posted only when its room shares progress (`share_progress` in the
  event); otherwise the handler returns before reading `title` or `room_name`, so nothing of the
  room is stored or shown. A personal space is named in no post;
- a banned, deactivated or deleted account, or a blocked personal page, gets no post;
- the post sits on the person's personal page: whoever may read that page (everyone, or a
  private page's approved followers) may read it, like any of their posts.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext

from cotask_common.errors import ServiceError
from cotask_common.security.tokens import TokenUser
from cotask_common.users.models import UserRef
from social.pages.models import Page
from social.posts.models import Post
from social.posts.services import create_post
from social.progress import texts
from social.progress.models import KINDS, CardsDay, ProgressMute, ProgressSettings, ProgressSource

LANGUAGES = ("en", "ru", "uk")


# ---------------------------------------------------------------------------------------------
# Settings and language


def _language(value: Any) -> str | None:
    value = str(value or "").split("-")[0].lower()
    return value if value in LANGUAGES else None


def settings_update(*, user: TokenUser, changes: dict[str, bool]) -> ProgressSettings:
    """The person's own opt-ins (`changes`: kind → on/off). The token's language claim is
    remembered too, for accounts social heard no language of yet."""
    with transaction.atomic():
        row, _ = ProgressSettings.objects.select_for_update().get_or_create(user_id=user.id)
        for kind, on in changes.items():
            if kind not in KINDS:
                raise ServiceError.for_field(kind, gettext("Unknown kind."), code="invalid")
            setattr(row, kind, bool(on))
        claimed = _language(user.claims.get("lang"))
        if claimed and row.language_version is None:
            row.language = claimed
        row.save()
    return row


def language_set(*, user_id: uuid.UUID, language: Any, version: datetime) -> None:
    """From the account's auth events: the language the person's posts are written in."""
    language = _language(language)
    if language is None or not UserRef.objects.filter(id=user_id).exists():
        return
    row, created = ProgressSettings.objects.get_or_create(
        user_id=user_id, defaults={"language": language, "language_version": version}
    )
    if not created and (row.language_version is None or row.language_version < version):
        row.language, row.language_version = language, version
        row.save(update_fields=["language", "language_version", "updated_at"])


def forget_user(*, user_id: uuid.UUID) -> None:
    """A deleted account: its settings, its mutes and the mutes of it go."""
    ProgressSettings.objects.filter(user_id=user_id).delete()
    ProgressMute.objects.filter(user_id=user_id).delete()
    ProgressMute.objects.filter(person_id=user_id).delete()
    CardsDay.objects.filter(user_id=user_id).delete()


# ---------------------------------------------------------------------------------------------
# Mutes (the reader's own; idempotent)


def mute(*, user_id: uuid.UUID, page: Page) -> bool:
    """`user_id` stops seeing the progress posts of `page`'s owner; False if already muted."""
    if page.owner_id == user_id:
        raise ServiceError.for_field(
            "ref", gettext("You cannot mute your own progress posts."), code="invalid"
        )
    try:
        with transaction.atomic():
            ProgressMute.objects.create(user_id=user_id, person_id=page.owner_id)
    except IntegrityError:
        return False
    return True


def unmute(*, user_id: uuid.UUID, page: Page) -> bool:
    deleted, _ = ProgressMute.objects.filter(user_id=user_id, person_id=page.owner_id).delete()
    return bool(deleted)


# ---------------------------------------------------------------------------------------------
# Posts from events


def post_progress(
    *,
    user_id: uuid.UUID,
    kind: str,
    figures: dict[str, Any],
    names: dict[str, str],
    source: str,
    variant: str = "",
) -> Post | None:
    """A `progress` post on the person's personal page, or None: not opted in, an account or
    page that may not post, or made already from `source` (a redelivered event)."""
    settings = ProgressSettings.objects.select_related("user").filter(user_id=user_id).first()
    if settings is None or not getattr(settings, kind):
        return None
    person = settings.user
    if person.is_banned or person.is_deleted or person.is_deactivated:
        return None
    page = Page.objects.filter(owner_id=user_id, kind=Page.Kind.PERSONAL).first()
    if page is None or page.is_blocked:
        return None
    with transaction.atomic():
        source_row, created = ProgressSource.objects.get_or_create(key=source)
        if not created:
            return None
        text = texts.render(
            kind=kind,
            figures=figures,
            names=names,
            language=settings.language,
            variant=variant,
        )
        card = {"kind": kind, "figures": figures, "names": names}
        post = create_post(page=page, actor_id=user_id, text=text, progress=card)
        source_row.post = post
        source_row.save(update_fields=["post"])
    return post


def task_completed(*, event_id: Any, data: dict[str, Any]) -> Post | None:
    if not data.get("share_progress"):
        return None  # the room does not share: nothing of it is read, kept or shown
    private = bool(data.get("private")) and data.get("room_kind") != "personal"
    names = {}
    if not private:  # a private room's title and name are not even read
        names["title"] = str(data["title"])
        if data.get("room_kind") != "personal":
            names["room"] = str(data["room_name"])
    return post_progress(
        user_id=uuid.UUID(str(data["completed_by"])),
        kind="task_completed",
        figures={},
        names=names,
        source=str(event_id),
    )


def streak_milestone(*, event_id: Any, data: dict[str, Any]) -> Post | None:
    unit = "weeks" if data.get("streak_unit") == "week" else "days"
    return post_progress(
        user_id=uuid.UUID(str(data["owner_id"])),
        kind="streak_milestone",
        figures={unit: int(data["length"])},
        names={"habit": str(data["habit_name"])},
        source=str(event_id),
    )


def _minutes(duration_ms: int) -> int:
    return max(1, round(duration_ms / 60000)) if duration_ms else 0


def review_summary(*, event_id: Any, data: dict[str, Any]) -> list[Post]:
    """The day's summary, and the week's (Monday to Sunday of the person's study days, which
    habits counts in their zone): with Sunday's summary, or, for a week whose Sunday had no
    study, with the first summary of a later day. Once per person and week (the source key is
    the week, not the event: a second summary of the same Sunday posts nothing more)."""
    user_id = uuid.UUID(str(data["owner_id"]))
    day = date.fromisoformat(str(data["day"]))
    reviews, duration = int(data["reviews"]), int(data["duration_ms"])
    made = post_progress(
        user_id=user_id,
        kind="cards_daily",
        figures={"reviews": reviews, "minutes": _minutes(duration), "day": day.isoformat()},
        names={},
        source=str(event_id),
    )
    posts = [made] if made else []
    if not ProgressSettings.objects.filter(user_id=user_id, cards_weekly=True).exists():
        return posts
    CardsDay.objects.update_or_create(
        user_id=user_id, day=day, defaults={"reviews": reviews, "duration_ms": duration}
    )
    this_sunday = day + timedelta(days=6 - day.weekday())
    last_sunday = this_sunday - timedelta(days=7)
    weekly = [_weekly(user_id=user_id, sunday=last_sunday, late=True)]
    if day == this_sunday:
        weekly.append(_weekly(user_id=user_id, sunday=this_sunday, late=False))
    # What no later post will read: the days before last week.
    CardsDay.objects.filter(user_id=user_id, day__lt=last_sunday - timedelta(days=6)).delete()
    return [*posts, *(post for post in weekly if post is not None)]


def _weekly(*, user_id: uuid.UUID, sunday: date, late: bool) -> Post | None:
    """The week ending `sunday`, if any day of it was studied and it was not posted yet."""
    source = f"weekly:{user_id}:{sunday.isoformat()}"
    if ProgressSource.objects.filter(key=source).exists():
        return None
    week = CardsDay.objects.filter(user_id=user_id, day__range=(sunday - timedelta(days=6), sunday))
    total = week.aggregate(reviews=Sum("reviews"), duration=Sum("duration_ms"))
    if not total["reviews"]:
        return None
    return post_progress(
        user_id=user_id,
        kind="cards_weekly",
        figures={
            "reviews": int(total["reviews"]),
            "minutes": _minutes(int(total["duration"] or 0)),
            "week_ending": sunday.isoformat(),
        },
        names={},
        source=source,
        variant="late" if late else "",
    )


def plan_accepted(*, event_id: Any, data: dict[str, Any]) -> Post | None:
    return post_progress(
        user_id=uuid.UUID(str(data["owner_id"])),
        kind="plan_accepted",
        figures={"steps": len(data["subtask_ids"])},
        names={},
        source=str(event_id),
    )


def room_milestone(*, event_id: Any, data: dict[str, Any]) -> list[Post]:
    """A room's count of completed tasks reached a milestone (published only for rooms that
    share progress): a post on the page of each member who opted in (`room_milestone`), not
    only the one who completed the task, since it is the whole room's work. A private room or
    personal space is not named: its name is not even read."""
    member_ids = [uuid.UUID(str(i)) for i in data["member_ids"]]
    opted = list(
        ProgressSettings.objects.filter(user_id__in=member_ids, room_milestone=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    if not opted:
        return []
    personal = data.get("room_kind") == "personal"
    private = personal or data.get("private") is not False  # unknown = private
    names = {} if private else {"room": str(data["room_name"])}
    variant = "personal" if personal else ""
    posts = []
    for user_id in opted:
        made = post_progress(
            user_id=user_id,
            kind="room_milestone",
            figures={"tasks": int(data["number"])},
            names=names,
            source=f"{event_id}:{user_id}",
            variant=variant,
        )
        if made is not None:
            posts.append(made)
    return posts
