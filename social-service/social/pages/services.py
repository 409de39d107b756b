"""Writes on pages and follows. Every change other services care about is announced through the
outbox in the same transaction; counters for statistics change in that transaction too."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from cotask_common.errors import Conflict, Forbidden, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.media_access import (
    audience_name,
    publish_access_granted,
    publish_access_revoked,
)
from cotask_common.media_files import apply_media_file_event
from cotask_common.roles import Role, role_of
from cotask_common.users.models import UserRef
from social import hot_sql
from social.core.feed_writes import feed_writes
from social.core.validation import clean_handle, clean_tags, clean_text
from social.pages.models import Follow, MediaFile, Page, PageBlock, PageTag
from social.pages.selectors import no_page_message, personal_page

MAX_PAGE_TAGS = 10
MAX_LINKS = 5
NAME_MAX = 100
DESCRIPTION_MAX = 1000


# ---------------------------------------------------------------------------------------------
# Validation (the shared helpers are in social.core.validation)


def _clean_links(links: Any) -> list[str]:
    links = list(links or [])
    if len(links) > MAX_LINKS:
        raise ServiceError.for_field(
            "links",
            ngettext(
                "At most %(limit)s link, got %(count)s.",
                "At most %(limit)s links, got %(count)s.",
                MAX_LINKS,
            )
            % {"limit": MAX_LINKS, "count": len(links)},
        )
    for link in links:
        if not isinstance(link, str) or not re.match(r"^https?://\S{1,500}$", link):
            raise ServiceError.for_field(
                "links",
                gettext("%(link)s is not an http(s) URL of at most 500 characters.")
                % {"link": repr(link)},
            )
    return links


def _page_data(page: Page) -> dict[str, Any]:
    return {
        "id": str(page.id),
        "owner_id": str(page.owner_id),
        "handle": page.handle,
        "name": page.name,
        "kind": page.kind,
        "is_private": page.is_private,
        "tags": page.tags,
    }


def _set_tags(page: Page, tags: list[str]) -> None:
    PageTag.objects.filter(page=page).exclude(tag__in=tags).delete()
    existing = set(PageTag.objects.filter(page=page).values_list("tag", flat=True))
    PageTag.objects.bulk_create([PageTag(page=page, tag=t) for t in tags if t not in existing])


def bump_daily(*, page_id: uuid.UUID, **counts: int) -> None:
    """Add to today's statistics row of a page (created on first use), in one statement."""
    hot_sql.add_to_day(page_id=page_id, day=timezone.now().date(), counts=counts)


def bump_page(*, page_id: uuid.UUID, daily: dict[str, int] | None = None, **counts: int) -> None:
    """Change a page's counters (negative values subtract, never below zero), in one
    prepared statement: every like, comment and follow runs it."""
    hot_sql.add_to_page(page_id=page_id, counts=counts)
    if daily:
        bump_daily(page_id=page_id, **daily)


# ---------------------------------------------------------------------------------------------
# Pages


def _free_handle(base: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", base)[:32] or "user"
    base = base if len(base) >= 3 else f"{base}___"[:3]
    candidate = base
    for _ in range(20):
        if not Page.objects.filter(handle_key=candidate.lower()).exists():
            return candidate
        candidate = f"{base}_{uuid.uuid4().hex[:6]}"
    raise Conflict(gettext("No free handle could be found."))  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Media references (media-service keeps the files something references)


def publish_media_references(
    *,
    object_type: str,
    object_id: Any,
    actor: Any = None,
    attached: Iterable[Any] = (),
    detached: Iterable[Any] = (),
    detach_all: bool = False,
    audience: str = "",
) -> None:
    """`social.media.attached` / `.detached` for one object (`post`, `page`), keyed by its id.

    Call inside the transaction that changes the object. Ids named on both sides cancel out, and
    nothing is published for an empty side; `detach_all` (the object is gone) omits `file_ids`,
    which media reads as "every file of this object". `audience` (a post's `page:<id>`) lets the
    page's followers read the attached files when they are private.
    """
    attached_ids = _file_ids(attached)
    detached_ids = _file_ids(detached)
    attached_ids, detached_ids = (
        [i for i in attached_ids if i not in detached_ids],
        [i for i in detached_ids if i not in attached_ids],
    )
    base = {"object_type": object_type, "object_id": str(object_id)}
    if detach_all:
        publish_event(type="social.media.detached", key=object_id, actor=actor, data=base)
    elif detached_ids:
        publish_event(
            type="social.media.detached",
            key=object_id,
            actor=actor,
            data={**base, "file_ids": detached_ids},
        )
    if attached_ids:
        data: dict[str, Any] = {**base, "file_ids": attached_ids}
        if audience:
            data["audience"] = audience
        publish_event(type="social.media.attached", key=object_id, actor=actor, data=data)


def page_audience(page_id: Any) -> str:
    """The media audience of a page: its owner and approved followers read its posts' files."""
    return audience_name("page", page_id)


def apply_media_event(*, event_type: str, data: dict[str, Any]) -> None:
    """media-service's `media.file.*` events kept in the `MediaFile` projection."""
    apply_media_file_event(MediaFile, event_type=event_type, data=data)


def apply_video_event(*, event_type: str, data: dict[str, Any]) -> None:
    """media-service's `media.video.ready` / `.failed`: the conversion's outcome on the file's
    projection row (created if the `media.file.*` events, on another topic, come later)."""
    if not data.get("id") or not data.get("owner_id"):
        return
    if event_type == "media.video.ready":
        video = {
            "conversion": "ready",
            "duration": data.get("duration"),
            "poster": data.get("poster"),
            "renditions": data.get("renditions") or {},
        }
    else:
        video = {"conversion": "failed", "code": str(data.get("code") or "")}
    MediaFile.objects.update_or_create(
        id=data["id"],
        defaults={"video": video},
        create_defaults={
            "video": video,
            "owner_id": data["owner_id"],
            "purpose": str(data.get("purpose") or ""),
        },
    )


def check_media(
    *,
    media_ids: Iterable[Any],
    owner_id: uuid.UUID,
    purposes: Iterable[str],
    field: str = "media_ids",
) -> list[str]:
    """Each file must be known, ready, the caller's own and of an allowed purpose (a page's
    avatar, a post's files)."""
    ids: list[str] = []
    for raw in media_ids:
        try:
            value = str(uuid.UUID(str(raw)))
        except ValueError as exc:
            raise ServiceError.for_field(
                field, gettext("%(value)s is not a file id (a UUID).") % {"value": repr(raw)}
            ) from exc
        if value not in ids:
            ids.append(value)
    files = {str(f.id): f for f in MediaFile.objects.filter(id__in=ids)}
    purposes = tuple(purposes)
    for value in ids:
        media = files.get(value)
        if media is None or str(media.owner_id) != str(owner_id):
            raise ServiceError.for_field(
                field,
                gettext("File %(id)s does not exist or is not yours.") % {"id": value},
                code="media_not_found",
            )
        if media.status != "ready":
            raise ServiceError.for_field(
                field,
                gettext("File %(id)s is not ready yet (status %(status)s); try again shortly.")
                % {"id": value, "status": repr(media.status)},
                code="media_not_ready",
            )
        if media.purpose not in purposes:
            raise ServiceError.for_field(
                field,
                gettext("File %(id)s was uploaded for %(purpose)s; this needs one of %(wanted)s.")
                % {"id": value, "purpose": repr(media.purpose), "wanted": ", ".join(purposes)},
                code="media_wrong_purpose",
            )
    return ids


def _file_ids(values: Iterable[Any]) -> list[str]:
    ids: list[str] = []
    for value in values:
        if not value:
            continue
        try:
            file_id = str(uuid.UUID(str(value)))
        except ValueError:
            file_id = str(value)
        if file_id not in ids:
            ids.append(file_id)
    return ids


def _detach_page_media(*, page: Page, actor_id: Any) -> None:
    """Before a page is deleted (its posts go with it): its avatar and live posts' files."""
    if page.avatar_id:
        publish_media_references(
            object_type="page", object_id=page.id, actor=actor_id, detach_all=True
        )
    posts = page.posts.filter(deleted_at__isnull=True)
    for post_id, media_ids in posts.values_list("id", "media_ids"):
        if media_ids:
            publish_media_references(
                object_type="post", object_id=post_id, actor=actor_id, detach_all=True
            )


def create_personal_page(
    *, user_id: uuid.UUID, username: str, display_name: str = "", role: str = Role.USER
) -> Page:
    """The user's profile page; idempotent and safe to run concurrently. Made by whichever comes
    first: `auth.user.registered`, or the user's own first request (`ensure_personal_page`), so
    a client never sees an account without its page.

    The UserRef row is locked first, so two makers for one user queue there; the unique
    constraints (one personal page per user, one handle) settle what a lock cannot (SQLite has
    none, and a handle is shared by every user): a maker that loses takes the page made."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                user, _created = UserRef.objects.select_for_update().get_or_create(
                    id=user_id, defaults={"username": username, "role": role}
                )
                existing = Page.objects.filter(owner=user, kind=Page.Kind.PERSONAL).first()
                if existing:
                    return _name_from_account(
                        page=existing, username=username, display_name=display_name
                    )
                page = Page.objects.create(
                    owner=user,
                    kind=Page.Kind.PERSONAL,
                    handle=(handle := _free_handle(username)),
                    handle_key=handle.lower(),
                    name=(display_name or username)[:NAME_MAX],
                )
                publish_event(
                    type="social.page.created", key=page.id, actor=user_id, data=_page_data(page)
                )
            return page
        except IntegrityError:
            continue  # made meanwhile, or the handle was taken meanwhile: look again
    raise Conflict(gettext("The personal page could not be made; try again."))  # pragma: no cover


def _name_from_account(*, page: Page, username: str, display_name: str) -> Page:
    """A page made on first access, before the registration event, is named after the username
    (the token has no display name); the event then brings the display name. A page renamed by
    its owner meanwhile keeps its name."""
    fallback = (username or "")[:NAME_MAX]
    wanted = (display_name or "")[:NAME_MAX]
    if not wanted or page.name == wanted or page.name != fallback:
        return page
    page.name = wanted
    page.save(update_fields=["name", "updated_at"])
    publish_event(
        type="social.page.updated", key=page.id, actor=page.owner_id, data=_page_data(page)
    )
    return page


def ensure_personal_page(*, user: Any) -> Page:
    """The signed-in user's personal page, made now if the registration event has not arrived
    yet (names from the local UserRef when it exists, else from the token)."""
    page = personal_page(user_id=user.id)
    if page is not None:
        return page
    ref = UserRef.objects.filter(id=user.id).first()
    made = create_personal_page(
        user_id=user.id,
        username=(ref.username if ref and ref.username else user.username),
        display_name=ref.display_name if ref else "",
        role=role_of(user) or Role.USER,
    )
    return personal_page(user_id=user.id) or made  # with its owner, for the serializer


def create_page(
    *,
    owner_id: uuid.UUID,
    handle: str,
    name: str,
    description: str = "",
    tags: list[str] | None = None,
    is_private: bool = False,
    avatar_id: uuid.UUID | None = None,
    links: list[str] | None = None,
) -> Page:
    handle = clean_handle(handle)
    name = clean_text(name, field="name", limit=NAME_MAX, required=True)
    description = clean_text(description, field="description", limit=DESCRIPTION_MAX)
    tags = clean_tags(tags, limit=MAX_PAGE_TAGS)
    links = _clean_links(links)
    if avatar_id:
        check_media(
            media_ids=[avatar_id], owner_id=owner_id, purposes=AVATAR_PURPOSES, field="avatar_id"
        )
    try:
        with transaction.atomic():
            owner = UserRef.objects.get(id=owner_id)
            page = Page.objects.create(
                owner=owner,
                handle=handle,
                handle_key=handle.lower(),
                name=name,
                description=description,
                tags=tags,
                is_private=is_private,
                avatar_id=avatar_id,
                links=links,
            )
            _set_tags(page, tags)
            publish_event(
                type="social.page.created", key=page.id, actor=owner_id, data=_page_data(page)
            )
            publish_media_references(
                object_type="page", object_id=page.id, actor=owner_id, attached=[page.avatar_id]
            )
    except IntegrityError as exc:
        raise Conflict.for_field("handle", _handle_taken(handle), code="taken") from exc
    except UserRef.DoesNotExist as exc:
        raise Forbidden(
            gettext("Your account is not known here yet; try again in a moment.")
        ) from exc
    return page


AVATAR_PURPOSES = ("avatar", "page_avatar", "post_image")
EDITABLE = ("handle", "name", "description", "tags", "is_private", "avatar_id", "links")


def _handle_taken(handle: object) -> str:
    return gettext("The handle %(handle)s is taken (handles ignore case).") % {
        "handle": repr(handle)
    }


def _own_page(*, page: Page, actor_id: uuid.UUID) -> None:
    if page.owner_id != actor_id:
        raise Forbidden(gettext("Only the page's owner may do this."), code="not_page_owner")


def update_page(*, page: Page, actor_id: uuid.UUID, changes: dict[str, Any]) -> Page:
    _own_page(page=page, actor_id=actor_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ServiceError(
            gettext("These fields cannot be changed: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    if "handle" in changes:
        changes["handle"] = clean_handle(changes["handle"])
    if "name" in changes:
        changes["name"] = clean_text(changes["name"], field="name", limit=NAME_MAX, required=True)
    if "description" in changes:
        changes["description"] = clean_text(
            changes["description"], field="description", limit=DESCRIPTION_MAX
        )
    if "tags" in changes:
        changes["tags"] = clean_tags(changes["tags"], limit=MAX_PAGE_TAGS)
    if "links" in changes:
        changes["links"] = _clean_links(changes["links"])
    if changes.get("avatar_id"):
        check_media(
            media_ids=[changes["avatar_id"]],
            owner_id=actor_id,
            purposes=AVATAR_PURPOSES,
            field="avatar_id",
        )
    try:
        with transaction.atomic():
            page = Page.objects.select_for_update().get(id=page.id)
            became_public = page.is_private and changes.get("is_private") is False
            old_avatar = page.avatar_id
            for name, value in changes.items():
                setattr(page, name, value)
            if "handle" in changes:
                page.handle_key = page.handle.lower()
            page.save()
            if "tags" in changes:
                _set_tags(page, page.tags)
            if became_public:
                # A public page has no pending requests: everyone who asked now follows it.
                _approve(
                    page=page,
                    actor_id=actor_id,
                    follows=list(
                        Follow.objects.select_for_update().filter(
                            page=page, status=Follow.Status.PENDING
                        )
                    ),
                )
            publish_event(
                type="social.page.updated", key=page.id, actor=actor_id, data=_page_data(page)
            )
            if "avatar_id" in changes:
                publish_media_references(
                    object_type="page",
                    object_id=page.id,
                    actor=actor_id,
                    attached=[page.avatar_id],
                    detached=[old_avatar],
                )
    except IntegrityError as exc:
        raise Conflict.for_field(
            "handle", _handle_taken(changes.get("handle")), code="taken"
        ) from exc
    return page


def delete_page(*, page: Page, actor_id: uuid.UUID) -> None:
    _own_page(page=page, actor_id=actor_id)
    if page.kind == Page.Kind.PERSONAL:
        raise Forbidden(
            gettext("The personal page is the profile: it goes away only with the account."),
            code="personal_page",
        )
    with transaction.atomic():
        data = _page_data(page)
        follower_ids = list(
            Follow.objects.filter(page=page, status=Follow.Status.APPROVED).values_list(
                "user_id", flat=True
            )
        )
        feed_writes().follows_ended(page_id=page.id, user_ids=follower_ids)
        _detach_page_media(page=page, actor_id=actor_id)
        publish_access_revoked(audience=page_audience(page.id), actor=actor_id)
        page.delete()
        publish_event(type="social.page.deleted", key=data["id"], actor=actor_id, data=data)


# ---------------------------------------------------------------------------------------------
# Follows


def _follow_data(follow: Follow, page: Page, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(follow.id),
        "page_id": str(page.id),
        "page_handle": page.handle,
        "page_name": page.name,
        "page_owner_id": str(page.owner_id),
        "follower_id": str(follow.user_id),
        **extra,
    }


def follow_page(*, page: Page, user_id: uuid.UUID) -> Follow:
    """Follow a public page at once, or ask to follow a private one. Repeating is harmless."""
    if page.owner_id == user_id:
        raise ServiceError(
            gettext("You own this page: its posts are in your feed already."), code="own_page"
        )
    if page.is_blocked:
        raise NotFound(no_page_message(page.id), code="page_unavailable")
    if PageBlock.objects.filter(page=page, user_id=user_id).exists():
        raise Forbidden(
            gettext("The page's owner blocked you from this page."), code="blocked_from_page"
        )
    with transaction.atomic():
        user, _ = UserRef.objects.get_or_create(id=user_id, defaults={"username": ""})
        follow = Follow.objects.select_for_update().filter(page=page, user=user).first()
        if follow:
            return follow
        if page.is_private:
            follow = Follow.objects.create(page=page, user=user, status=Follow.Status.PENDING)
            publish_event(
                type="social.follow.requested",
                key=follow.id,
                actor=user_id,
                data=_follow_data(follow, page, recipient_ids=[str(page.owner_id)]),
            )
            return follow
        follow = Follow.objects.create(
            page=page, user=user, status=Follow.Status.APPROVED, approved_at=timezone.now()
        )
        _started(follow=follow, page=page, actor_id=user_id, via="direct")
    return follow


def _started(*, follow: Follow, page: Page, actor_id: uuid.UUID, via: str) -> None:
    bump_page(page_id=page.id, followers_count=1, daily={"followers_gained": 1})
    # Every active follower may read the page's private post files (a public page may turn
    # private later; its followers stay), unless the page is blocked: its followers get access
    # when the block ends. Read after bump_page, which holds the page's row lock, so a block
    # in progress is either seen here or publishes its revocation after this grant.
    if not Page.objects.filter(id=page.id, is_blocked=True).exists():
        publish_access_granted(
            audience=page_audience(page.id), user_ids=[follow.user_id], actor=actor_id
        )
    publish_event(
        type="social.follow.created",
        key=follow.id,
        actor=actor_id,
        data=_follow_data(
            follow,
            page,
            via=via,
            # The owner approved it themself; otherwise they are told of the new follower.
            recipient_ids=[] if via == "approval" else [str(page.owner_id)],
        ),
    )
    feed_writes().follow_started(
        user_id=follow.user_id, page_id=page.id, followers=page.followers_count
    )


def _ended(*, follow: Follow, page: Page, actor_id: uuid.UUID, reason: str) -> None:
    was_approved = follow.status == Follow.Status.APPROVED
    follow_id = follow.id
    follow.delete()
    follow.id = follow_id  # Django clears the pk on delete; the event still names it
    if was_approved:
        bump_page(page_id=page.id, followers_count=-1, daily={"followers_lost": 1})
        publish_access_revoked(
            audience=page_audience(page.id), user_ids=[follow.user_id], actor=actor_id
        )
        feed_writes().follows_ended(page_id=page.id, user_ids=[follow.user_id])
    recipients = [str(follow.user_id)] if reason in ("removed_by_owner",) else []
    publish_event(
        type="social.follow.removed" if was_approved else "social.follow.rejected",
        key=follow.id,
        actor=actor_id,
        data=_follow_data(follow, page, reason=reason, recipient_ids=recipients),
    )


def unfollow_page(*, page: Page, user_id: uuid.UUID) -> None:
    """Stop following, or withdraw a pending request. Repeating is harmless."""
    with transaction.atomic():
        follow = Follow.objects.select_for_update().filter(page=page, user_id=user_id).first()
        if follow:
            _ended(
                follow=follow,
                page=page,
                actor_id=user_id,
                reason="unfollowed" if follow.status == Follow.Status.APPROVED else "withdrawn",
            )


def _pending(*, page: Page, user_ids: list[uuid.UUID] | None, all_: bool) -> list[Follow]:
    if not all_ and not user_ids:
        raise ServiceError.for_field(
            "user_ids", gettext("Name at least one user, or set all to true."), code="required"
        )
    rows = Follow.objects.select_for_update().filter(page=page, status=Follow.Status.PENDING)
    if not all_:
        rows = rows.filter(user_id__in=user_ids or [])
    return list(rows.order_by("id"))


def _approve(*, page: Page, actor_id: uuid.UUID, follows: list[Follow]) -> None:
    now = timezone.now()
    for follow in follows:
        follow.status = Follow.Status.APPROVED
        follow.approved_at = now
    Follow.objects.bulk_update(follows, ["status", "approved_at"])
    for follow in follows:
        publish_event(
            type="social.follow.approved",
            key=follow.id,
            actor=actor_id,
            data=_follow_data(follow, page, recipient_ids=[str(follow.user_id)]),
        )
        _started(follow=follow, page=page, actor_id=actor_id, via="approval")


MAX_BATCH = 1000


def _too_many_users() -> str:
    return ngettext(
        "At most %(limit)s user at once.", "At most %(limit)s users at once.", MAX_BATCH
    ) % {"limit": MAX_BATCH}


def approve_requests(
    *, page: Page, actor_id: uuid.UUID, user_ids: list[uuid.UUID] | None = None, all: bool = False
) -> int:
    """Accept one, several (`user_ids`) or all pending requests; returns how many."""
    _own_page(page=page, actor_id=actor_id)
    if user_ids and len(user_ids) > MAX_BATCH:
        raise ServiceError.for_field("user_ids", _too_many_users())
    with transaction.atomic():
        follows = _pending(page=page, user_ids=user_ids, all_=all)
        _approve(page=page, actor_id=actor_id, follows=follows)
    return len(follows)


def reject_requests(
    *, page: Page, actor_id: uuid.UUID, user_ids: list[uuid.UUID] | None = None, all: bool = False
) -> int:
    _own_page(page=page, actor_id=actor_id)
    if user_ids and len(user_ids) > MAX_BATCH:
        raise ServiceError.for_field("user_ids", _too_many_users())
    with transaction.atomic():
        follows = _pending(page=page, user_ids=user_ids, all_=all)
        for follow in follows:
            follow_id = follow.id
            follow.delete()
            follow.id = follow_id
            publish_event(
                type="social.follow.rejected",
                key=follow.id,
                actor=actor_id,
                data=_follow_data(
                    follow, page, reason="rejected", recipient_ids=[str(follow.user_id)]
                ),
            )
    return len(follows)


def remove_follower(*, page: Page, actor_id: uuid.UUID, user_id: uuid.UUID) -> None:
    _own_page(page=page, actor_id=actor_id)
    with transaction.atomic():
        follow = (
            Follow.objects.select_for_update()
            .filter(page=page, user_id=user_id, status=Follow.Status.APPROVED)
            .first()
        )
        if follow is None:
            raise NotFound.for_field(
                "user_id", gettext("This user does not follow the page."), code="not_found"
            )
        _ended(follow=follow, page=page, actor_id=actor_id, reason="removed_by_owner")


def block_user(*, page: Page, actor_id: uuid.UUID, user_id: uuid.UUID) -> PageBlock:
    """The user stops following (or asking), and can neither follow nor see the page again."""
    _own_page(page=page, actor_id=actor_id)
    if user_id == actor_id:
        raise ServiceError.for_field(
            "user_id", gettext("You cannot block yourself from your own page.")
        )
    with transaction.atomic():
        user = UserRef.objects.filter(id=user_id).first()
        if user is None:
            raise NotFound.for_field("user_id", gettext("No such user."), code="not_found")
        block, created = PageBlock.objects.get_or_create(page=page, user=user)
        follow = Follow.objects.select_for_update().filter(page=page, user_id=user_id).first()
        if follow:
            _ended(follow=follow, page=page, actor_id=actor_id, reason="blocked")
        if created:
            publish_event(
                type="social.page.user_blocked",
                key=page.id,
                actor=actor_id,
                data={"page_id": str(page.id), "user_id": str(user_id), "recipient_ids": []},
            )
    return block


def unblock_user(*, page: Page, actor_id: uuid.UUID, user_id: uuid.UUID) -> None:
    _own_page(page=page, actor_id=actor_id)
    with transaction.atomic():
        deleted, _ = PageBlock.objects.filter(page=page, user_id=user_id).delete()
        if deleted:
            publish_event(
                type="social.page.user_unblocked",
                key=page.id,
                actor=actor_id,
                data={"page_id": str(page.id), "user_id": str(user_id), "recipient_ids": []},
            )


# ---------------------------------------------------------------------------------------------
# Block state (moderation and bans)


def refresh_block_flag(*, page: Page, now: Any = None) -> bool:
    """Recompute `is_blocked` from its reasons and save it; returns the new value.

    Call with the page's row locked. A page that becomes blocked (moderation, its owner's ban)
    takes its followers' access to its private files away; when the block ends they get it
    back (`social.media.access_revoked` / `.access_granted`)."""
    now = now or timezone.now()
    was_blocked = page.is_blocked
    page.is_blocked = bool(
        page.owner_banned
        or page.owner_inactive
        or page.blocked_permanently
        or (page.blocked_until is not None and page.blocked_until > now)
    )
    page.save(
        update_fields=[
            "is_blocked",
            "blocked_until",
            "blocked_permanently",
            "block_reason",
            "owner_banned",
            "owner_inactive",
            "updated_at",
        ]
    )
    if page.is_blocked and not was_blocked:
        publish_access_revoked(audience=page_audience(page.id))
    elif was_blocked and not page.is_blocked:
        _grant_followers(page=page)
    return page.is_blocked


def _grant_followers(*, page: Page) -> int:
    """Every approved follower may read the page's private post files. Call with the page's
    row locked: a follow that starts or ends updates that row (its counter) before it
    publishes, so a concurrent unfollow is either excluded here or revokes after this grant.
    (The follows themselves are not locked: an unfollow locks its follow, then the page.)"""
    followers = Follow.objects.filter(page=page, status=Follow.Status.APPROVED)
    user_ids = list(followers.values_list("user_id", flat=True))
    if user_ids:
        publish_access_granted(audience=page_audience(page.id), user_ids=user_ids)
    return len(user_ids)


def publish_follower_access() -> tuple[int, int]:
    """Once, for follows made before media access was published: a grant for the approved
    followers of every unblocked page, one page per transaction. Returns (pages, users)."""
    pages = users = 0
    page_ids = Follow.objects.filter(status=Follow.Status.APPROVED).values_list(
        "page_id", flat=True
    )
    for page_id in sorted(set(page_ids)):
        with transaction.atomic():
            page = Page.objects.select_for_update().filter(id=page_id, is_blocked=False).first()
            if page is None:
                continue
            granted = _grant_followers(page=page)
            pages, users = pages + bool(granted), users + granted
    return pages, users


def set_owner_banned(*, user_id: uuid.UUID, banned: bool) -> int:
    """`auth.user.banned` blocks every page of the user; `unbanned` lifts that reason only, so a
    page blocked by moderation on its own account stays blocked."""
    with transaction.atomic():
        pages = list(Page.objects.select_for_update().filter(owner_id=user_id))
        for page in pages:
            page.owner_banned = banned
            refresh_block_flag(page=page)
    return len(pages)


def set_owner_inactive(*, user_id: uuid.UUID, inactive: bool) -> int:
    """`auth.user.deactivated` blocks every page of the user like a ban; `reactivated` lifts that
    reason only (a ban or a moderation block stays)."""
    with transaction.atomic():
        pages = list(Page.objects.select_for_update().filter(owner_id=user_id))
        for page in pages:
            page.owner_inactive = inactive
            refresh_block_flag(page=page)
    return len(pages)


def delete_user_data(*, user_id: uuid.UUID) -> None:
    """`auth.user.deleted`: the user's follows and follow requests end, blocks of them go, their
    pages (with posts, the comments and likes on them) are deleted and leave their followers'
    timelines, and their own feed is dropped. Idempotent: a second run finds nothing."""
    with transaction.atomic():
        for follow in Follow.objects.select_for_update().filter(user_id=user_id):
            page = follow.page
            _ended(follow=follow, page=page, actor_id=user_id, reason="account_deleted")
        PageBlock.objects.filter(user_id=user_id).delete()
        for page in Page.objects.filter(owner_id=user_id):
            # The deletion event names no one: the handle and name were the person's.
            data = {**_page_data(page), "handle": "", "name": "", "reason": "account_deleted"}
            follower_ids = list(
                Follow.objects.filter(page=page, status=Follow.Status.APPROVED).values_list(
                    "user_id", flat=True
                )
            )
            feed_writes().follows_ended(page_id=page.id, user_ids=follower_ids)
            _detach_page_media(page=page, actor_id=user_id)
            publish_access_revoked(audience=page_audience(page.id), actor=user_id)
            page.delete()
            publish_event(type="social.page.deleted", key=data["id"], actor=user_id, data=data)
        feed_writes().reader_deleted(user_id=user_id)
