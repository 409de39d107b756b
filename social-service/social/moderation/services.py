"""Moderation: blocking pages, deleting content, reports. Each action is recorded as a
ModerationAction and announced as `social.moderation.*` so the author is told why."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TypeAlias

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from cotask_common.errors import Conflict, Forbidden, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.roles import can_moderate, is_admin, outranks
from cotask_common.security.tokens import TokenUser
from cotask_common.users.models import UserRef
from social.core.validation import clean_text
from social.moderation.models import ModerationAction, Report, TargetType
from social.pages.models import Page, PageBlock
from social.pages.selectors import Viewer, is_staff, readable_pages_q, viewer_id
from social.pages.services import refresh_block_flag
from social.posts import services as post_services
from social.posts.models import Comment, Post

# Who moderates: the caller of the API (TokenUser), or the CoTask account a Django admin session
# acts as (`admin_access.moderator_account`, a UserRef). Both carry `id` and `role`.
Moderator: TypeAlias = TokenUser | UserRef

REASON_MAX = 1000
# The event each recorded action is announced as (named for what happened to the content).
EVENT_TYPES = {
    ModerationAction.Action.BLOCK_PAGE: "social.moderation.page_blocked",
    ModerationAction.Action.UNBLOCK_PAGE: "social.moderation.page_unblocked",
    ModerationAction.Action.BLOCK_EXPIRED: "social.moderation.page_unblocked",
    ModerationAction.Action.DELETE_POST: "social.moderation.post_removed",
    ModerationAction.Action.DELETE_COMMENT: "social.moderation.comment_removed",
    ModerationAction.Action.RESOLVE_REPORT: "social.moderation.report_resolved",
    ModerationAction.Action.DISMISS_REPORT: "social.moderation.report_resolved",
}


def _reason(reason: str) -> str:
    return clean_text(
        reason,
        field="reason",
        limit=REASON_MAX,
        required=True,
        blank_message=gettext("A reason is required."),
    )


def _record(
    *,
    actor: Moderator | None,
    action: ModerationAction.Action,
    target_type: str,
    target_id: uuid.UUID,
    owner_id: uuid.UUID | None,
    reason: str,
    until: datetime | None = None,
    report: Report | None = None,
    extra: dict[str, Any] | None = None,
    recipients: list[str] | None = None,
) -> ModerationAction:
    record = ModerationAction.objects.create(
        actor_id=getattr(actor, "id", None),
        actor_role=getattr(actor, "role", "system") if actor else "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_owner_id=owner_id,
        reason=reason,
        until=until,
        report=report,
    )
    publish_event(
        type=EVENT_TYPES[action],
        key=target_id,
        actor=getattr(actor, "id", None),
        data={
            "action_id": str(record.id),
            "action": action,
            "target_type": target_type,
            "target_id": str(target_id),
            "target_owner_id": str(owner_id) if owner_id else None,
            "reason": reason,
            "until": until.isoformat() if until else None,
            "moderator_id": str(actor.id) if actor else None,
            "recipient_ids": recipients
            if recipients is not None
            else ([str(owner_id)] if owner_id else []),
            **(extra or {}),
        },
    )
    return record


def _require_staff(actor: Moderator | None) -> None:
    if not can_moderate(actor):
        raise Forbidden(gettext("This needs the moderator role."))


def _require_outranks(*, actor: Moderator | None, owner_id: uuid.UUID | None) -> None:
    """auth-service's rank rule (`outranks`): a moderator acts only on what belongs to plain
    users, an admin also on moderators'. The owner's role is read from the local projection
    (`UserRef`) as it is now, not as the caller loaded the object."""
    if actor is None:  # the system (a block running out)
        return
    role = (
        UserRef.objects.filter(id=owner_id).values_list("role", flat=True).first()
        if owner_id is not None
        else None
    )
    if not outranks(actor_role=actor.role, target_role=role):
        raise Forbidden(
            gettext("An admin may not moderate what belongs to another admin.")
            if is_admin(actor)
            else gettext(
                "A moderator may only moderate what belongs to accounts with a lower role."
            ),
            code="role_too_high",
        )


def block_page(
    *,
    page: Page,
    actor: Moderator,
    reason: str,
    duration: timedelta | None = None,
    permanent: bool = False,
) -> Page:
    """Moderators block for at most SOCIAL_MODERATOR_MAX_BLOCK_DAYS; admins also permanently."""
    _require_staff(actor)
    reason = _reason(reason)
    if permanent:
        if not is_admin(actor):
            raise Forbidden(
                gettext("Only an admin may block a page permanently."), code="admin_only"
            )
    else:
        if duration is None or duration <= timedelta(0):
            raise ServiceError.for_field(
                "duration_hours",
                gettext("Give a positive duration, or permanent (admins)."),
                code="required",
            )
        limit = timedelta(days=settings.SOCIAL_MODERATOR_MAX_BLOCK_DAYS)
        if not is_admin(actor) and duration > limit:
            raise ServiceError.for_field(
                "duration_hours",
                ngettext(
                    "A moderator may block for at most %(days)s day (%(hours)s hours).",
                    "A moderator may block for at most %(days)s days (%(hours)s hours).",
                    limit.days,
                )
                % {"days": limit.days, "hours": limit.days * 24},
                code="too_long",
            )
    with transaction.atomic():
        page = Page.objects.select_for_update().get(id=page.id)
        _require_outranks(actor=actor, owner_id=page.owner_id)
        until = None if permanent or duration is None else timezone.now() + duration
        page.blocked_permanently = permanent or page.blocked_permanently
        page.blocked_until = until if not permanent else None
        page.block_reason = reason
        refresh_block_flag(page=page)
        _record(
            actor=actor,
            action=ModerationAction.Action.BLOCK_PAGE,
            target_type=TargetType.PAGE,
            target_id=page.id,
            owner_id=page.owner_id,
            reason=reason,
            until=until,
            extra={"permanent": permanent, "page_handle": page.handle},
        )
    return page


def unblock_page(*, page: Page, actor: Moderator, reason: str) -> Page:
    _require_staff(actor)
    reason = _reason(reason)
    with transaction.atomic():
        page = Page.objects.select_for_update().get(id=page.id)
        _require_outranks(actor=actor, owner_id=page.owner_id)
        if page.blocked_permanently and not is_admin(actor):
            raise Forbidden(gettext("Only an admin may lift a permanent block."), code="admin_only")
        if not page.blocked_permanently and page.blocked_until is None:
            return page  # no block to lift: nothing changes, nothing is recorded or told
        page.blocked_permanently = False
        page.blocked_until = None
        page.block_reason = ""
        refresh_block_flag(page=page)
        _record(
            actor=actor,
            action=ModerationAction.Action.UNBLOCK_PAGE,
            target_type=TargetType.PAGE,
            target_id=page.id,
            owner_id=page.owner_id,
            reason=reason,
            extra={"page_handle": page.handle, "still_blocked": page.is_blocked},
        )
    return page


def end_expired_blocks(*, now: datetime | None = None) -> int:
    """Celery beat: blocks whose time ran out end, and the owner is told."""
    now = now or timezone.now()
    ended = 0
    for page_id in Page.objects.filter(
        blocked_until__isnull=False, blocked_until__lte=now
    ).values_list("id", flat=True):
        with transaction.atomic():
            page = Page.objects.select_for_update().get(id=page_id)
            if page.blocked_until is None or page.blocked_until > now:
                continue
            page.blocked_until = None
            if not page.blocked_permanently:
                page.block_reason = ""
            refresh_block_flag(page=page, now=now)
            _record(
                actor=None,
                action=ModerationAction.Action.BLOCK_EXPIRED,
                target_type=TargetType.PAGE,
                target_id=page.id,
                owner_id=page.owner_id,
                reason="The block ended.",
                extra={"page_handle": page.handle, "still_blocked": page.is_blocked},
            )
            ended += 1
    return ended


def delete_post(*, post: Post, actor: Moderator, reason: str, report: Report | None = None) -> None:
    _require_staff(actor)
    reason = _reason(reason)
    _require_outranks(actor=actor, owner_id=post.page.owner_id)
    with transaction.atomic():
        deleted = post_services.delete_post(
            post=post, actor_id=actor.id, reason=reason, by_moderator=True
        )
        if not deleted:
            return  # deleted meanwhile, and recorded by whoever did it
        _record(
            actor=actor,
            action=ModerationAction.Action.DELETE_POST,
            target_type=TargetType.POST,
            target_id=post.id,
            owner_id=post.page.owner_id,
            reason=reason,
            report=report,
            extra={"page_id": str(post.page_id)},
        )


def delete_comment(
    *, comment: Comment, actor: Moderator, reason: str, report: Report | None = None
) -> None:
    _require_staff(actor)
    reason = _reason(reason)
    _require_outranks(actor=actor, owner_id=comment.author_id)
    with transaction.atomic():
        deleted = post_services.delete_comment(
            comment=comment, actor_id=actor.id, reason=reason, by_moderator=True
        )
        if not deleted:
            return  # deleted meanwhile, and recorded by whoever did it
        _record(
            actor=actor,
            action=ModerationAction.Action.DELETE_COMMENT,
            target_type=TargetType.COMMENT,
            target_id=comment.id,
            owner_id=comment.author_id,
            reason=reason,
            report=report,
            extra={"post_id": str(comment.post_id)},
        )


def _target_owner(*, target_type: str, target_id: uuid.UUID, viewer: Viewer) -> uuid.UUID:
    """The owner of what `viewer` reports, if they can see it: what they cannot see (a post of a
    private page they do not follow, of a page blocked by moderation or whose owner blocked
    them, a comment under such a post) is answered exactly as what does not exist."""
    owners: QuerySet[Any, uuid.UUID]
    if target_type == TargetType.POST:
        owners = (
            Post.objects.filter(id=target_id, deleted_at__isnull=True)
            .filter(readable_pages_q(viewer=viewer))
            .values_list("page__owner_id", flat=True)
        )
    elif target_type == TargetType.COMMENT:
        owners = (
            Comment.objects.filter(
                id=target_id, deleted_at__isnull=True, post__deleted_at__isnull=True
            )
            .filter(readable_pages_q(viewer=viewer, prefix="post__page__"))
            .values_list("author_id", flat=True)
        )
    elif target_type == TargetType.PAGE:
        # A private page's profile is visible (its posts are not), so it may be reported.
        owners = (
            Page.objects.filter(id=target_id)
            .filter(_page_seen_q(viewer))
            .values_list("owner_id", flat=True)
        )
    else:
        raise ServiceError.for_field("target_type", gettext("Must be post, comment or page."))
    found = owners.first()
    if found is None:
        missing = {
            TargetType.POST: gettext("No post with this id."),
            TargetType.COMMENT: gettext("No comment with this id."),
            TargetType.PAGE: gettext("No page with this id."),
        }[TargetType(target_type)]
        raise NotFound.for_field("target_id", missing, code="not_found")
    return found


def _page_seen_q(viewer: Viewer) -> Q:
    """The pages whose profile `viewer` sees (pages.selectors.check_visible, as one filter)."""
    if is_staff(viewer):
        return Q()
    user_id = viewer_id(viewer)
    blocked_from = PageBlock.objects.filter(user_id=user_id).values("page_id")
    return Q(owner_id=user_id) | (Q(is_blocked=False) & ~Q(id__in=blocked_from))


def report(*, reporter: Moderator, target_type: str, target_id: uuid.UUID, reason: str) -> Report:
    """Anyone signed in may report a post, comment or page they can see (one open report per
    target each)."""
    reporter_id = reporter.id
    reason = _reason(reason)
    owner_id = _target_owner(target_type=target_type, target_id=target_id, viewer=reporter)
    try:
        with transaction.atomic():
            row = Report.objects.create(
                reporter_id=reporter_id, target_type=target_type, target_id=target_id, reason=reason
            )
            publish_event(
                type="social.moderation.reported",
                key=row.id,
                actor=reporter_id,
                data={
                    "report_id": str(row.id),
                    "target_type": target_type,
                    "target_id": str(target_id),
                    "target_owner_id": str(owner_id),
                    "reporter_id": str(reporter_id),
                    # Moderators are told through their queue, not per-person notifications.
                    "recipient_ids": [],
                },
            )
    except IntegrityError as exc:
        raise Conflict(gettext("You already reported this; a moderator will look at it.")) from exc
    return row


def resolve_report(
    *,
    report: Report,
    actor: Moderator,
    resolution: str,
    action: str = "none",
    duration_hours: int | None = None,
) -> Report:
    """Close a report: `action` none (dismiss), delete (the post or comment), block_page
    (the page, or the page of the post) for `duration_hours`."""
    _require_staff(actor)
    resolution = _reason(resolution)
    if report.status != Report.Status.OPEN:
        raise Conflict(gettext("This report is already closed."), code="report_closed")
    with transaction.atomic():
        report = Report.objects.select_for_update().get(id=report.id)
        if action == "delete":
            if report.target_type == TargetType.POST:
                post = Post.objects.select_related("page").get(id=report.target_id)
                delete_post(post=post, actor=actor, reason=resolution, report=report)
            elif report.target_type == TargetType.COMMENT:
                comment = Comment.objects.get(id=report.target_id)
                delete_comment(comment=comment, actor=actor, reason=resolution, report=report)
            else:
                raise ServiceError.for_field("action", gettext("A page is blocked, not deleted."))
        elif action == "block_page":
            if report.target_type == TargetType.PAGE:
                page = Page.objects.get(id=report.target_id)
            elif report.target_type == TargetType.POST:
                page = Post.objects.select_related("page").get(id=report.target_id).page
            else:
                page = (
                    Comment.objects.select_related("post__page").get(id=report.target_id).post.page
                )
            block_page(
                page=page,
                actor=actor,
                reason=resolution,
                duration=timedelta(hours=duration_hours) if duration_hours else None,
            )
        elif action != "none":
            raise ServiceError.for_field("action", gettext("Must be none, delete or block_page."))
        report.status = Report.Status.DISMISSED if action == "none" else Report.Status.RESOLVED
        report.resolved_by_id = actor.id
        report.resolution = resolution
        report.resolved_at = timezone.now()
        report.save()
        _record(
            actor=actor,
            action=(
                ModerationAction.Action.DISMISS_REPORT
                if action == "none"
                else ModerationAction.Action.RESOLVE_REPORT
            ),
            target_type=report.target_type,
            target_id=report.target_id,
            owner_id=None,
            reason=resolution,
            report=report,
            recipients=[str(report.reporter_id)],
            extra={
                "report_id": str(report.id),
                "reporter_id": str(report.reporter_id),
                "outcome": action,
            },
        )
    return report


def forget_reporter(*, user_id: uuid.UUID) -> int:
    """`auth.user.deleted`: the reports the person filed go (their words and their id); what
    moderators did about them stays in `ModerationAction`, no longer linked to the report."""
    deleted, _ = Report.objects.filter(reporter_id=user_id).delete()
    return deleted
