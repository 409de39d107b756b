"""Reading pages and follows, and who may see what.

Visibility rules, in one place (posts, feeds and search build on them):
- moderators and admins see every page, private and blocked ones included;
- a blocked page (by moderation or because its owner is banned) is seen only by its owner;
- a user the owner blocked from a page does not see it at all;
- a private page's profile is visible (so people can ask to follow), its posts only to its
  owner and approved followers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeAlias

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from cotask_common.errors import Forbidden, NotFound
from cotask_common.roles import can_moderate
from cotask_common.security.tokens import TokenUser
from cotask_common.users.models import UserRef
from social.pages.models import Follow, MediaFile, Page, PageBlock

# The caller as the kit's JWT authentication gives it, or None for an anonymous caller; a
# UserRef where a moderator acts through Django admin (or a test acts as an account). The
# selectors need only its `id` and `role`.
Viewer: TypeAlias = TokenUser | UserRef | None


def is_staff(viewer: Viewer) -> bool:
    return can_moderate(viewer)


def viewer_id(viewer: Viewer) -> uuid.UUID | None:
    return getattr(viewer, "id", None) if viewer else None


def no_page_message(ref: str | uuid.UUID) -> str:
    """The 404 message for a page that is absent or hidden from the viewer (the same text,
    so the two cannot be told apart)."""
    return gettext("No page with the id or handle %(ref)s.") % {"ref": repr(str(ref))}


def page_by_ref(*, ref: str | uuid.UUID, queryset: QuerySet[Page] | None = None) -> Page:
    """A page by its uuid or its handle (any case); NotFound otherwise."""
    queryset = queryset if queryset is not None else Page.objects.select_related("owner")
    try:
        page_id = uuid.UUID(str(ref))
    except ValueError:
        page = queryset.filter(handle_key=str(ref).lower()).first()
    else:
        page = queryset.filter(id=page_id).first()
    if page is None:
        raise NotFound(no_page_message(ref))
    return page


def follow_status(*, page: Page, viewer: Viewer) -> str | None:
    user_id = viewer_id(viewer)
    if user_id is None:
        return None
    return (
        Follow.objects.filter(page=page, user_id=user_id).values_list("status", flat=True).first()
    )


def is_blocked_from(*, page: Page, user_id: uuid.UUID | None) -> bool:
    return bool(user_id) and PageBlock.objects.filter(page=page, user_id=user_id).exists()


def visible_page(*, ref: str | uuid.UUID, viewer: Viewer) -> Page:
    """The page if the viewer may see its profile; NotFound otherwise (a blocked page looks
    absent, so its existence is not leaked)."""
    return check_visible(page=page_by_ref(ref=ref), viewer=viewer, ref=ref)


def owned_page(*, ref: str | uuid.UUID, viewer: Viewer) -> Page:
    """The page if the viewer may see it and owns it: Forbidden for a viewer who sees it but
    does not own it, NotFound for one who cannot see it (as for any hidden page)."""
    page = visible_page(ref=ref, viewer=viewer)
    if viewer is None or page.owner_id != viewer.id:
        raise Forbidden(gettext("Only the page's owner may do this."), code="not_page_owner")
    return page


def check_visible(
    *, page: Page, viewer: Viewer, ref: str | uuid.UUID, blocked_from: bool | None = None
) -> Page:
    """`visible_page` for a page already loaded (`ref`: how the caller named it, for the
    error; `blocked_from`: whether the owner blocked the viewer, when the caller's query
    already answered it)."""
    if is_staff(viewer):
        return page
    user_id = viewer_id(viewer)
    if page.owner_id == user_id:
        return page
    if page.is_blocked:
        raise NotFound(no_page_message(ref), code="page_unavailable")
    if blocked_from is None:
        blocked_from = is_blocked_from(page=page, user_id=user_id)
    if blocked_from:
        raise NotFound(no_page_message(ref), code="page_unavailable")
    return page


def can_read_posts(*, page: Page, viewer: Viewer) -> bool:
    """Assumes `visible_page` already passed."""
    if not page.is_private or is_staff(viewer):
        return True
    user_id = viewer_id(viewer)
    if user_id is None:
        return False
    if page.owner_id == user_id:
        return True
    return Follow.objects.filter(page=page, user_id=user_id, status=Follow.Status.APPROVED).exists()


def readable_page(*, ref: str | uuid.UUID, viewer: Viewer) -> Page:
    page = visible_page(ref=ref, viewer=viewer)
    if not can_read_posts(page=page, viewer=viewer):
        raise Forbidden(
            gettext(
                "This page is private: only its approved followers see its posts and followers."
            ),
            code="page_private",
        )
    return page


def readable_pages_q(*, viewer: Viewer, prefix: str = "page__") -> Q:
    """A filter over a relation to Page (`prefix`) keeping the pages whose posts `viewer` may
    read; one SQL condition with subqueries, so list queries stay constant in number."""
    if is_staff(viewer):
        return Q()
    user_id = viewer_id(viewer)
    public = Q(**{f"{prefix}is_private": False})
    if user_id is None:
        return public & Q(**{f"{prefix}is_blocked": False})
    followed = Follow.objects.filter(user_id=user_id, status=Follow.Status.APPROVED).values(
        "page_id"
    )
    blocked_from = PageBlock.objects.filter(user_id=user_id).values("page_id")
    own = Q(**{f"{prefix}owner_id": user_id})
    return own | (
        Q(**{f"{prefix}is_blocked": False})
        & (public | Q(**{f"{prefix}id__in": followed}))
        & ~Q(**{f"{prefix}id__in": blocked_from})
    )


def pages_of(*, owner_id: uuid.UUID) -> QuerySet[Page]:
    return Page.objects.filter(owner_id=owner_id).select_related("owner")


def followers(*, page: Page) -> QuerySet[Follow]:
    return Follow.objects.filter(page=page, status=Follow.Status.APPROVED).select_related("user")


def follow_requests(*, page: Page) -> QuerySet[Follow]:
    return Follow.objects.filter(page=page, status=Follow.Status.PENDING).select_related("user")


def following(*, user_id: uuid.UUID) -> QuerySet[Follow]:
    return Follow.objects.filter(user_id=user_id, status=Follow.Status.APPROVED).select_related(
        "page", "page__owner"
    )


def following_count(*, user_id: uuid.UUID) -> int:
    return Follow.objects.filter(user_id=user_id, status=Follow.Status.APPROVED).count()


def blocked_users(*, page: Page) -> QuerySet[PageBlock]:
    return PageBlock.objects.filter(page=page).select_related("user")


def personal_page(*, user_id: uuid.UUID) -> Page | None:
    return (
        Page.objects.filter(owner_id=user_id, kind=Page.Kind.PERSONAL)
        .select_related("owner")
        .first()
    )


def video_states(
    *, media_ids: list[str], absolute: Callable[[str], str] | None = None
) -> dict[str, dict[str, object]]:
    """The lesson videos among `media_ids` and their conversion, by id (one query): `pending`
    until media-service's `media.video.ready` (with the renditions) or `.failed`. `absolute`
    (the request's `build_absolute_uri`) turns the event's gateway paths into URLs."""
    if not media_ids:
        return {}
    rows = MediaFile.objects.filter(id__in=media_ids, purpose="post_video").values_list(
        "id", "video"
    )
    return {
        str(file_id): {"conversion": "pending", **_absolute_urls(video or {}, absolute)}
        for file_id, video in rows
    }


def _absolute_urls(video: dict[str, Any], absolute: Callable[[str], str] | None) -> dict[str, Any]:
    """The video with its poster's and renditions' URLs absolute. On local storage (the
    embedded default) media-service's event carries paths on the gateway (`/media/...`), which
    its own API makes absolute with the request; posts show the same URLs as the files do."""

    def fixed(part: Any) -> Any:
        url = part.get("url") if isinstance(part, dict) else None
        if absolute is None or not isinstance(url, str) or not url.startswith("/"):
            return part
        return {**part, "url": absolute(url)}

    if absolute is None:
        return video
    out = dict(video)
    if out.get("poster"):
        out["poster"] = fixed(out["poster"])
    if isinstance(out.get("renditions"), dict):
        out["renditions"] = {name: fixed(r) for name, r in out["renditions"].items()}
    return out
