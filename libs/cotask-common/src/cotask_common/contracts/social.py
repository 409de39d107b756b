"""social-service's events: pages, follows, posts, comments, likes, moderation, media references.

Producer: social-service (`social/<app>/services.py`, always inside the change's transaction).
Ids are UUID strings. `recipient_ids` in every `data` (but `social.media.*`) is the list of users
a notification should go to (the acting user is never in it; empty = tell nobody); the other keys
let a consumer phrase it. notifications-service, when `data` has `recipient_ids`, tells nobody
outside that list (so a follow made active by the owner's own approval, `via: approval`, tells
nobody); its new-post alerts are local and not filtered by it. End to end (social's API → Kafka →
socket) in `e2e/test_notifications.py` and `e2e/test_outage.py`.

Version 2 of the follow, post, comment, `like.created` and moderation events dropped keys that
only repeated another key (v1 → v2: `user_id` = `follower_id`, `target_kind` = `target_type`,
`page_owner_id` = `author_id` / `post_author_id`, `reply_to_owner_id` = `reply_to_author_id`).
social publishes v2 only; consumers accept v1 and v2 until every v1 row has left the outboxes
and the dead-letter topics (see docs/decisions.md, 2026-12-03).
"""

from __future__ import annotations

from typing import Literal, NotRequired
from uuid import UUID

from pydantic import AwareDatetime
from typing_extensions import TypedDict

from cotask_common.contracts import references
from cotask_common.contracts.fields import Handle
from cotask_common.contracts.references import (
    ACCESS_GRANTED_CONSUMERS,
    ACCESS_KEY,
    ACCESS_REVOKED_CONSUMERS,
    ATTACHED_CONSUMERS,
    DETACHED_CONSUMERS,
    REFERENCE_KEY,
)
from cotask_common.contracts.registry import declare


class Recipients(TypedDict):
    recipient_ids: list[UUID]
    """who a notification should go to (never the acting user; empty = nobody)"""


# ---------------------------------------------------------------------------------------------
# Pages — topic `social.page`

PAGE_KEY = "the page's id"
PAGE_FOLLOWS = (
    "updates its follow projection (`PageFollow`): new-post alerts only for pages one follows"
)


class PageData(TypedDict):
    id: UUID
    """the page"""
    owner_id: UUID
    handle: Handle
    name: str
    kind: Literal["personal", "page"]
    """`personal`: the profile page every account has"""
    is_private: bool
    tags: list[str]


@declare("social.page.created", key=PAGE_KEY)
class PageCreated(PageData):
    """A page is created: the personal page on `auth.user.registered` or on the user's first
    `GET /me/` (whichever comes first), or `POST /pages/`."""


@declare("social.page.updated", key=PAGE_KEY, consumers={"notifications": PAGE_FOLLOWS})
class PageUpdated(PageData):
    """The owner edited the page, or `auth.user.registered` brought the display name of a
    personal page made on the user's first `GET /me/`."""


@declare(
    "social.page.deleted",
    key=PAGE_KEY,
    consumers={"notifications": PAGE_FOLLOWS + "; everyone's alerts for the page go"},
)
class PageDeleted(PageData):
    """The owner deleted the page, or the account was deleted (then `handle` and `name` are
    empty and `reason` is `account_deleted`)."""

    reason: NotRequired[Literal["account_deleted"]]


class PageUserBlock(Recipients):
    page_id: UUID
    user_id: UUID
    """the blocked (or unblocked) user"""


@declare(
    "social.page.user_blocked",
    key=PAGE_KEY,
    consumers={"notifications": PAGE_FOLLOWS + "; the blocked user's alerts for the page go"},
)
class PageUserBlocked(PageUserBlock):
    """The owner blocked a user from the page (they stop following and cannot see it);
    `recipient_ids` is `[]`."""


@declare("social.page.user_unblocked", key=PAGE_KEY)
class PageUserUnblocked(PageUserBlock):
    """The owner unblocked a user from the page; `recipient_ids` is `[]`."""


# ---------------------------------------------------------------------------------------------
# Follows — topic `social.follow`

FOLLOW_KEY = "the follow's id"
FOLLOW_ENDED = {
    "notifications": "tells nobody; the follow projection (`PageFollow`) ends, and the "
    "follower's new-post alerts for the page stop"
}
FOLLOW_CREATED = {
    "notifications": "tells the page owner (`follower`, grouped per page); the follow "
    "projection (`PageFollow`) starts: new-post alerts may be turned on"
}
FOLLOW_REQUESTED = {"notifications": "tells the page owner (`follow_request`, grouped)"}
FOLLOW_APPROVED = {
    "notifications": "tells the follower (`follow_approved`); the follow projection "
    "(`PageFollow`) starts"
}
RejectReason = Literal["rejected", "withdrawn", "blocked", "account_deleted"]
RemoveReason = Literal["unfollowed", "removed_by_owner", "blocked", "account_deleted"]


class FollowData(Recipients):
    id: UUID
    """the follow"""
    page_id: UUID
    page_handle: Handle
    page_name: str
    page_owner_id: UUID
    """who owns the page (approves requests)"""
    follower_id: UUID
    """who follows, or asked to"""


class FollowDataV1(FollowData):
    user_id: UUID
    """the same as `follower_id`"""


@declare("social.follow.requested", version=2, key=FOLLOW_KEY, consumers=FOLLOW_REQUESTED)
class FollowRequested(FollowData):
    """Someone asked to follow a private page; `recipient_ids`: the page owner."""


@declare("social.follow.approved", version=2, key=FOLLOW_KEY, consumers=FOLLOW_APPROVED)
class FollowApproved(FollowData):
    """The owner approved the request (one, several or all: one event each); `recipient_ids`:
    the follower."""


@declare("social.follow.rejected", version=2, key=FOLLOW_KEY, consumers=FOLLOW_ENDED)
class FollowRejected(FollowData):
    """A pending request ended: the owner rejected it, or the requester withdrew it;
    `recipient_ids`: the follower when rejected, else `[]`."""

    reason: RejectReason


@declare("social.follow.created", version=2, key=FOLLOW_KEY, consumers=FOLLOW_CREATED)
class FollowCreated(FollowData):
    """A follow became active (a public page at once, or after approval); `recipient_ids`: the
    owner when `direct`, else `[]`."""

    via: Literal["direct", "approval"]
    """`direct`: a public page, at once; `approval`: the owner approved the request"""


@declare("social.follow.removed", version=2, key=FOLLOW_KEY, consumers=FOLLOW_ENDED)
class FollowRemoved(FollowData):
    """An active follow ended; `recipient_ids`: the follower when `removed_by_owner`, else
    `[]`."""

    reason: RemoveReason


@declare("social.follow.requested", key=FOLLOW_KEY, consumers=FOLLOW_REQUESTED)
class FollowRequestedV1(FollowDataV1):
    """v1 of `social.follow.requested`."""


@declare("social.follow.approved", key=FOLLOW_KEY, consumers=FOLLOW_APPROVED)
class FollowApprovedV1(FollowDataV1):
    """v1 of `social.follow.approved`."""


@declare("social.follow.rejected", key=FOLLOW_KEY, consumers=FOLLOW_ENDED)
class FollowRejectedV1(FollowDataV1):
    """v1 of `social.follow.rejected`."""

    reason: RejectReason


@declare("social.follow.created", key=FOLLOW_KEY, consumers=FOLLOW_CREATED)
class FollowCreatedV1(FollowDataV1):
    """v1 of `social.follow.created`."""

    via: Literal["direct", "approval"]


@declare("social.follow.removed", key=FOLLOW_KEY, consumers=FOLLOW_ENDED)
class FollowRemovedV1(FollowDataV1):
    """v1 of `social.follow.removed`."""

    reason: RemoveReason


# ---------------------------------------------------------------------------------------------
# Posts — topic `social.post`

POST_KEY = "the post's id"
POST_CREATED = {
    "notifications": "tells the replied post's author (`reply`), the mentioned users "
    "(`mention`) and those who turned on new-post alerts for the page there (`new_post`; "
    "emailed only in digests); no follower list is needed in the event"
}


class PostData(Recipients):
    id: UUID
    """the post"""
    page_id: UUID
    page_name: str
    author_id: UUID
    """the page's owner: one posts only on one's own pages"""
    reply_to_id: UUID | None
    """the replied post; null unless a reply"""


class PostDataV1(PostData):
    page_owner_id: UUID
    """the same as `author_id`"""


class PostContent(TypedDict):
    tags: list[str]
    mentions: list[str]
    """the mentioned handles"""


class PostCreatedData(PostContent):
    mentioned_user_ids: list[UUID]
    """the owners of the mentioned pages"""
    reply_to_author_id: UUID | None
    """the replied post's author; null unless a reply"""


class PostRemoval(TypedDict):
    reason: str
    """why (a moderator gives one; may be empty)"""
    by_moderator: bool


@declare("social.post.created", version=2, key=POST_KEY, consumers=POST_CREATED)
class PostCreated(PostData, PostCreatedData):
    """A post (or a reply) was published; `recipient_ids`: the mentioned users and the replied
    post's author."""


@declare("social.post.updated", version=2, key=POST_KEY)
class PostUpdated(PostData, PostContent):
    """The author edited the post; `recipient_ids` is `[]`."""


@declare("social.post.deleted", version=2, key=POST_KEY)
class PostDeleted(PostData, PostRemoval):
    """The post was deleted by its author or a moderator; `recipient_ids`: the author when
    removed by a moderator."""


@declare("social.post.created", key=POST_KEY, consumers=POST_CREATED)
class PostCreatedV1(PostDataV1, PostCreatedData):
    """v1 of `social.post.created`."""

    reply_to_owner_id: UUID | None
    """the same as `reply_to_author_id`"""


@declare("social.post.updated", key=POST_KEY)
class PostUpdatedV1(PostDataV1, PostContent):
    """v1 of `social.post.updated`."""


@declare("social.post.deleted", key=POST_KEY)
class PostDeletedV1(PostDataV1, PostRemoval):
    """v1 of `social.post.deleted`."""


# ---------------------------------------------------------------------------------------------
# Comments — topic `social.comment`

COMMENT_KEY = "the comment's id"
COMMENT_CREATED = {
    "notifications": "tells the parent comment's author (`reply`), the post's author "
    "(`comment`, grouped per post) and the mentioned users (`mention`); each person once"
}


class CommentData(Recipients):
    id: UUID
    """the comment"""
    post_id: UUID
    page_id: UUID
    post_author_id: UUID
    """the post's author (the page's owner)"""
    parent_id: UUID | None
    """the comment replied to; null for a top-level comment"""
    author_id: UUID


class CommentDataV1(CommentData):
    page_owner_id: UUID
    """the same as `post_author_id`"""


class CommentCreatedData(TypedDict):
    parent_author_id: UUID | None
    mentioned_user_ids: list[UUID]


@declare("social.comment.created", version=2, key=COMMENT_KEY, consumers=COMMENT_CREATED)
class CommentCreated(CommentData, CommentCreatedData):
    """A comment (or a reply to one); `recipient_ids`: the post's author, the parent comment's
    author, the mentioned users."""


@declare("social.comment.updated", version=2, key=COMMENT_KEY)
class CommentUpdated(CommentData):
    """The author edited the comment; `recipient_ids` is `[]`."""


@declare("social.comment.deleted", version=2, key=COMMENT_KEY)
class CommentDeleted(CommentData, PostRemoval):
    """The comment was deleted by its author or a moderator; `recipient_ids`: its author when
    removed by a moderator."""


@declare("social.comment.created", key=COMMENT_KEY, consumers=COMMENT_CREATED)
class CommentCreatedV1(CommentDataV1, CommentCreatedData):
    """v1 of `social.comment.created`."""


@declare("social.comment.updated", key=COMMENT_KEY)
class CommentUpdatedV1(CommentDataV1):
    """v1 of `social.comment.updated`."""


@declare("social.comment.deleted", key=COMMENT_KEY)
class CommentDeletedV1(CommentDataV1, PostRemoval):
    """v1 of `social.comment.deleted`."""


# ---------------------------------------------------------------------------------------------
# Likes — topic `social.like`; only real changes are announced (liking twice publishes once)

LIKE_KEY = "the post's id (of the liked comment's post for a comment)"
LIKE_CREATED = {"notifications": "tells the liked item's author (`like`, grouped per item)"}
TargetKind = Literal["post", "comment"]


class LikeData(Recipients):
    target_type: TargetKind
    target_id: UUID
    """the liked post or comment"""
    post_id: UUID
    page_id: NotRequired[UUID]
    """the post's page (posts only)"""
    user_id: UUID
    """who liked"""


class LikeCreatedData(TypedDict):
    comment_id: UUID | None
    """the liked comment; null for a post"""
    target_author_id: UUID
    """the liked item's author"""


@declare("social.like.created", version=2, key=LIKE_KEY, consumers=LIKE_CREATED)
class LikeCreated(LikeData, LikeCreatedData):
    """Someone liked a post or a comment; `recipient_ids`: the liked item's author (unless they
    liked it themself)."""


@declare("social.like.created", key=LIKE_KEY, consumers=LIKE_CREATED)
class LikeCreatedV1(LikeData, LikeCreatedData):
    """v1 of `social.like.created`."""

    target_kind: TargetKind
    """the same as `target_type`"""


@declare("social.like.removed", key=LIKE_KEY)
class LikeRemoved(LikeData):
    """A like was taken back; `recipient_ids` is `[]`."""


# ---------------------------------------------------------------------------------------------
# Moderation — topic `social.moderation`

MODERATION_KEY = "the target's id (the report's id for `reported`)"
MODERATION_NOTICE = {
    "notifications": "tells the content's owner (`moderation`; the moderator is not named)"
}
REPORT_RESOLVED = {
    "notifications": "tells the reporter (`report_resolved`, in-app and realtime; the moderator "
    "is not named)"
}
ModerationTarget = Literal["post", "comment", "page", "message"]


class ModerationData(Recipients):
    """Each is also a `ModerationAction` row (who, what, why, when)."""

    action_id: UUID
    """the `ModerationAction` row"""
    target_id: UUID
    target_owner_id: UUID | None
    """the moderated content's owner (null for a report's resolution)"""
    reason: str
    until: AwareDatetime | None
    """when a block ends by itself; null otherwise"""
    moderator_id: UUID | None
    """null when the system acted"""


class PageBlockedData(TypedDict):
    action: Literal["block_page"]
    target_type: Literal["page"]
    permanent: bool
    page_handle: Handle


class PageUnblockedData(TypedDict):
    action: Literal["unblock_page", "block_expired"]
    """`unblock_page`: a moderator/admin lifted it; `block_expired`: it ran out (Celery beat)"""
    target_type: Literal["page"]
    page_handle: Handle
    still_blocked: bool
    """true if the page stays blocked for another reason (the owner is banned)"""


class PostRemovedData(TypedDict):
    action: Literal["delete_post"]
    target_type: Literal["post"]
    page_id: UUID


class CommentRemovedData(TypedDict):
    action: Literal["delete_comment"]
    target_type: Literal["comment"]
    post_id: UUID


class ReportResolvedData(TypedDict):
    action: Literal["resolve_report", "dismiss_report"]
    target_type: ModerationTarget
    report_id: UUID
    reporter_id: UUID
    outcome: Literal["none", "delete", "block_page"]


class TargetKindV1(TypedDict):
    target_kind: ModerationTarget
    """the same as `target_type`"""


@declare(
    "social.moderation.page_blocked", version=2, key=MODERATION_KEY, consumers=MODERATION_NOTICE
)
class PageBlocked(ModerationData, PageBlockedData):
    """A moderator (at most `SOCIAL_MODERATOR_MAX_BLOCK_DAYS`) or an admin (also permanently)
    blocked a page; `recipient_ids`: the page owner."""


@declare(
    "social.moderation.page_unblocked", version=2, key=MODERATION_KEY, consumers=MODERATION_NOTICE
)
class PageUnblocked(ModerationData, PageUnblockedData):
    """A page's moderation block ended; `recipient_ids`: the page owner."""


@declare(
    "social.moderation.post_removed", version=2, key=MODERATION_KEY, consumers=MODERATION_NOTICE
)
class PostRemoved(ModerationData, PostRemovedData):
    """A moderator deleted a post; `recipient_ids`: the author."""


@declare(
    "social.moderation.comment_removed", version=2, key=MODERATION_KEY, consumers=MODERATION_NOTICE
)
class CommentRemoved(ModerationData, CommentRemovedData):
    """A moderator deleted a comment; `recipient_ids`: the author."""


@declare(
    "social.moderation.report_resolved", version=2, key=MODERATION_KEY, consumers=REPORT_RESOLVED
)
class ReportResolved(ModerationData, ReportResolvedData):
    """A moderator resolved or dismissed a report; `recipient_ids`: the reporter."""


@declare("social.moderation.page_blocked", key=MODERATION_KEY, consumers=MODERATION_NOTICE)
class PageBlockedV1(ModerationData, PageBlockedData, TargetKindV1):
    """v1 of `social.moderation.page_blocked`."""


@declare("social.moderation.page_unblocked", key=MODERATION_KEY, consumers=MODERATION_NOTICE)
class PageUnblockedV1(ModerationData, PageUnblockedData, TargetKindV1):
    """v1 of `social.moderation.page_unblocked`."""


@declare("social.moderation.post_removed", key=MODERATION_KEY, consumers=MODERATION_NOTICE)
class PostRemovedV1(ModerationData, PostRemovedData, TargetKindV1):
    """v1 of `social.moderation.post_removed`."""


@declare("social.moderation.comment_removed", key=MODERATION_KEY, consumers=MODERATION_NOTICE)
class CommentRemovedV1(ModerationData, CommentRemovedData, TargetKindV1):
    """v1 of `social.moderation.comment_removed`."""


@declare("social.moderation.report_resolved", key=MODERATION_KEY, consumers=REPORT_RESOLVED)
class ReportResolvedV1(ModerationData, ReportResolvedData, TargetKindV1):
    """v1 of `social.moderation.report_resolved`."""


@declare("social.moderation.reported", key=MODERATION_KEY)
class Reported(Recipients):
    """Someone reported a post, comment, page or chat message (`message`, from
    `POST /api/social/chat/conversations/<id>/messages/<id>/report/`); `recipient_ids` is `[]`
    (moderators work from the queue)."""

    report_id: UUID
    target_type: ModerationTarget
    target_id: UUID
    target_owner_id: UUID
    reporter_id: UUID


# ---------------------------------------------------------------------------------------------
# Media references — topic `social.media`


@declare("social.media.attached", key=REFERENCE_KEY, consumers=ATTACHED_CONSUMERS)
class MediaAttached(references.MediaAttached):
    """A post (or reply) was created with `media_ids`, an edit added files, or a page was created
    with an `avatar_id` or its avatar was set or changed. `object_type` `post` or `page`;
    `file_ids`: the files now used (an edit: only the added ones). Only real changes are
    announced: a post or page without files, an edit that leaves the files as they were
    (reordering included) and a rolled-back change publish nothing. A changed avatar or post
    edit publishes `detached` (removed files) before `attached` (added ones). A post's files
    carry `audience` `page:<page id>`: the page's approved followers may read them (private
    files included). `actor`: the acting user."""


@declare("social.media.detached", key=REFERENCE_KEY, consumers=DETACHED_CONSUMERS)
class MediaDetached(references.MediaDetached):
    """An edit removed files from a post, or a page's avatar was changed or removed
    (`file_ids`: the files no longer used); or a post was deleted (by its author, a moderator,
    or with its page or account), or a page with an avatar was deleted (`file_ids` omitted:
    every file of the object). A page's deletion also detaches each of its live posts that has
    files. `actor`: the acting user (the moderator for a moderator's deletion)."""


# ---------------------------------------------------------------------------------------------
# Media access — topic `social.media`, key = the audience (`page:<page id>`); published from
# `social/pages/services.py` through `cotask_common.media_access`.


@declare("social.media.access_granted", key=ACCESS_KEY, consumers=ACCESS_GRANTED_CONSUMERS)
class MediaAccessGranted(references.AccessGranted):
    """A follow became active (a public page at once, a private one after approval) unless the
    page is blocked: `user_ids` is the follower. Or a page's block ended (moderator, expiry, the
    owner unbanned or reactivated), or `manage.py publish_media_access` ran (once, for follows
    made before grants existed): `user_ids` are the approved followers. The owner needs no
    grant (post files are the owner's own)."""


@declare("social.media.access_revoked", key=ACCESS_KEY, consumers=ACCESS_REVOKED_CONSUMERS)
class MediaAccessRevoked(references.AccessRevoked):
    """An active follow ended (unfollowed, removed by the owner, blocked, account deleted):
    `user_ids` is the follower. Or the page was blocked (moderation, the owner's ban or
    deactivation) or deleted: `user_ids` omitted, nobody."""


# ---------------------------------------------------------------------------------------------
# Chat — topic `social.chat`, key = the conversation's id (one partition per conversation, so
# its events arrive in the order they happened). Published from `social/chat/services.py`.
#
# `member_ids` in every chat event: the users whose open sockets get the frame (never anyone who
# is not, or no longer, a member; the actor's own other devices included). `recipient_ids`: who
# an offline notification may go to (`message_created` only: the other members who did not mute
# the conversation; `[]` elsewhere). Texts travel in `message_created` / `message_edited`: live
# delivery needs them; notifications-service keeps them only as long as its replay window.

CHAT_KEY = "the conversation's id"
CHAT_LIVE = {
    "notifications": "pushes a `chat` frame to `member_ids`' open sockets, in their cursor "
    "sequence (replayed to a reconnecting client)"
}
ChatKind = Literal["direct", "group", "support"]


class ChatData(Recipients):
    conversation_id: UUID
    kind: ChatKind
    member_ids: list[UUID]
    """whose sockets get the frame (members only)"""


class ChatMessageData(ChatData):
    message_id: UUID
    author_id: UUID | None
    """null when the author's account was deleted"""


@declare(
    "social.chat.message_created",
    key=CHAT_KEY,
    consumers={
        "notifications": CHAT_LIVE["notifications"]
        + "; tells `recipient_ids` without an open socket (`chat_message`, grouped per "
        "conversation)"
    },
)
class ChatMessageCreated(ChatMessageData):
    """A member sent a message (`POST /api/social/chat/conversations/<id>/messages/`)."""

    text: str
    reply_to_id: UUID | None
    attachment_ids: list[UUID]
    mention_ids: list[UUID]
    """members named with `@handle` (groups)"""
    author_name: str
    conversation_name: str
    """a group's name; empty for direct and support conversations"""
    created_at: AwareDatetime


@declare("social.chat.message_edited", key=CHAT_KEY, consumers=CHAT_LIVE)
class ChatMessageEdited(ChatMessageData):
    """The author edited a message's text."""

    text: str
    edited_at: AwareDatetime


@declare("social.chat.message_deleted", key=CHAT_KEY, consumers=CHAT_LIVE)
class ChatMessageDeleted(ChatMessageData):
    """A message was deleted for everyone (by its author, or a group admin); its text is gone."""

    deleted_by: UUID


@declare("social.chat.reaction_changed", key=CHAT_KEY, consumers=CHAT_LIVE)
class ChatReactionChanged(ChatData):
    """A member added (`added` true) or took back an emoji reaction on a message."""

    message_id: UUID
    user_id: UUID
    emoji: str
    added: bool


@declare(
    "social.chat.read",
    key=CHAT_KEY,
    consumers={
        "notifications": f"{CHAT_LIVE['notifications']}; marks the reader's `chat_message` "
        "notification of the conversation read when no later message joined it (so no "
        "unread-messages email tells of it)"
    },
)
class ChatRead(ChatData):
    """A member marked the conversation read up to a message. `member_ids`: in a direct
    conversation both people (the read receipt), otherwise the reader only (their other
    devices)."""

    user_id: UUID
    message_id: UUID


@declare(
    "social.chat.members_changed",
    key=CHAT_KEY,
    consumers={
        "notifications": "sets its projection of the conversation's members (`ChatMember`, "
        "who may send `typing`); pushes a `chat` frame to `member_ids` and `removed_ids`; "
        "marks the removed people's `chat_message` notification of it read (no email of it)"
    },
)
class ChatMembersChanged(ChatData):
    """A conversation was created, renamed, or its members changed. `member_ids` here is the
    whole current membership (the projection is set to it); `removed_ids` the people who left
    or were removed (told once, then nothing more)."""

    change: Literal["created", "renamed", "added", "removed", "left", "admin_granted"]
    removed_ids: list[UUID]
    name: str
    actor_id: UUID | None


# ---------------------------------------------------------------------------------------------
# Mentors — topics `social.mentor` (a mentor's reviews) and `social.review` (a review's answer)

MENTOR_KEY = "the mentor profile's id"
REVIEW_KEY = "the review's id"


class ReviewData(Recipients):
    review_id: UUID
    mentor_id: UUID
    """the mentor profile"""
    mentor_user_id: UUID
    """the mentor's account"""
    mentor_handle: Handle
    """the handle of the mentor's personal page"""
    student_id: UUID
    """the review's author"""
    rating: int
    """1 to 5"""


@declare(
    "social.mentor.reviewed",
    key=MENTOR_KEY,
    consumers={"notifications": "tells the mentor (`mentor_reviewed`)"},
)
class MentorReviewed(ReviewData):
    """A student reviewed a mentor (a new review, not an edit); `recipient_ids`: the mentor."""

    average: float
    """the mentor's average rating with this review"""
    reviews_count: int


@declare(
    "social.review.answered",
    key=REVIEW_KEY,
    consumers={"notifications": "tells the review's author (`review_answered`)"},
)
class ReviewAnswered(ReviewData):
    """The mentor answered a review (once); `recipient_ids`: the review's author."""


# ---------------------------------------------------------------------------------------------
# Learning requests — topic `social.learning_request`

LEARNING_REQUEST_KEY = "the learning request's id"


@declare(
    "social.learning_request.matched",
    key=LEARNING_REQUEST_KEY,
    consumers={"notifications": "tells each mentor in `recipient_ids` (`learning_request_match`)"},
)
class LearningRequestMatched(Recipients):
    """A student posted a learning request; `recipient_ids`: the best-matching mentors who may
    see it, at most `SOCIAL_LEARNING_MATCH_NOTIFY` (50) of them, the top of the request's match
    list (subject, tags, language, rank, experience), never the author nor a blocked person."""

    request_id: UUID
    student_id: UUID
    """the request's author"""
    subject: str
    """the curated subject's code (`GET /api/social/mentors/subjects/`)"""
    language: str
    """ISO 639-1"""
    level: Literal["beginner", "intermediate", "advanced"]


@declare(
    "social.learning_request.offered",
    key=LEARNING_REQUEST_KEY,
    consumers={"notifications": "tells the request's author (`learning_offer`)"},
)
class LearningRequestOffered(Recipients):
    """A mentor made an offer on a learning request; `recipient_ids`: the request's author."""

    request_id: UUID
    offer_id: UUID
    subject: str
    student_id: UUID
    """the request's author"""
    mentor_id: UUID
    """the mentor profile"""
    mentor_user_id: UUID
    """the mentor's account"""
    mentor_handle: Handle
