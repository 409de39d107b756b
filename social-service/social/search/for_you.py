"""The "for you" feed (issue 21, Recommendations): posts and mentors the reader does not reach
yet, each with the reasons it was picked.

Sources (docs/decisions.md), each a bounded window read by one indexed query:
- `followed_tag` / `liked_tag`: the newest posts carrying a tag of the pages the reader follows
  (PageTag) or of the posts they liked lately (PostTag of their newest likes);
- `popular_with_following`: the posts behind the newest likes of the people whose personal page
  the reader follows;
- `matches_learning_request`: the best matches of the reader's open learning requests
  (mentors.selectors.matching_mentors, the request's own matching);
- `teaches_your_subject`: the best ranked mentors teaching a subject among the reader's tags.

Who may see a post is decided only by posts.selectors.visible_posts (pages.selectors'
rules); a mentor only by mentors.selectors.mentors. On top of them a recommendation is never the
reader's own, never a post they liked or a page they follow (those are in the home feed already),
never a reply, never from a blocked page or a deleted account, and never from someone either of
the two blocked from one of their pages. The candidates are scored in Python; the list is ordered
by score, then newest id, and paged by a keyset cursor over that order.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext, ngettext

from cotask_common.security.tokens import TokenUser
from cotask_common.users.models import UserRef
from social.mentors import selectors as mentor_selectors
from social.mentors.models import LearningRequest, MentorProfile, MentorSubject
from social.mentors.subjects import SUBJECTS
from social.pages.models import Follow, Page, PageBlock, PageTag
from social.posts.models import Post, PostLike, PostTag
from social.posts.selectors import visible_posts

Kind = Literal["post", "mentor"]
KINDS = ("posts", "mentors")

# The window of every source: the newest (or best) this many rows, so the feed costs the same
# number of queries and a bounded amount of work whatever the reader's history.
POST_WINDOW = 200
LIKE_WINDOW = 500
MENTOR_WINDOW = 50
TAG_LIMIT = 20
FOLLOW_LIMIT = 1000
OPEN_REQUESTS = 3

# Scores: a post liked by people you follow ranks above one that only shares a tag; a mentor
# matching a request you posted above one teaching a subject you read about.
POPULAR_WEIGHT, POPULAR_CAP = 3.0, 5
FOLLOWED_TAG_WEIGHT = 2.0
LIKED_TAG_WEIGHT = 1.5
REQUEST_WEIGHT = 5.0
SUBJECT_WEIGHT = 2.0


@dataclass
class Item:
    kind: Kind
    id: uuid.UUID
    score: float = 0.0
    # code -> the name the reason text shows (a tag, a subject code, a count)
    why: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[float, str]:
        return (self.score, str(self.id))


@dataclass
class Interests:
    user_id: uuid.UUID
    followed_pages: list[uuid.UUID]
    people: list[uuid.UUID]
    followed_tags: Counter[str]
    liked_tags: Counter[str]

    @property
    def tags(self) -> list[str]:
        both = self.followed_tags + self.liked_tags
        return [tag for tag, _ in both.most_common(TAG_LIMIT)]


def _blocked_people(user_id: uuid.UUID) -> Any:
    """Who the reader blocked from one of their pages, and who blocked the reader (subqueries
    of user ids)."""
    theirs = PageBlock.objects.filter(user_id=user_id).values("page__owner_id")
    mine = PageBlock.objects.filter(page__owner_id=user_id).values("user_id")
    return theirs, mine


def interests(*, user_id: uuid.UUID) -> Interests:
    """What the reader follows and likes (three queries, each bounded)."""
    follows = list(
        Follow.objects.filter(user_id=user_id, status=Follow.Status.APPROVED)
        .order_by("-id")
        .values_list("page_id", "page__owner_id", "page__kind")[:FOLLOW_LIMIT]
    )
    pages = [page_id for page_id, _, _ in follows]
    people = [owner for _, owner, kind in follows if kind == Page.Kind.PERSONAL]
    followed_tags = Counter(PageTag.objects.filter(page_id__in=pages).values_list("tag", flat=True))
    recent = PostLike.objects.filter(user_id=user_id).order_by("-id").values("post_id")
    liked_tags = Counter(
        PostTag.objects.filter(post_id__in=recent[:POST_WINDOW]).values_list("tag", flat=True)
    )
    return Interests(user_id, pages, people, followed_tags, liked_tags)


def _candidate_posts(viewer: TokenUser, mine: Interests) -> QuerySet[Post]:
    user_id = viewer.id
    theirs, blocked = _blocked_people(user_id)
    return (
        visible_posts(viewer=viewer)
        .filter(
            reply_to__isnull=True,
            # Staff read every page; a recommendation still comes only from a public, unblocked
            # page of a live account.
            page__is_private=False,
            page__is_blocked=False,
            page__owner__is_deleted=False,
            page__owner__is_banned=False,
        )
        .exclude(page__owner_id=user_id)
        # A subquery, not `mine.followed_pages`: exact past FOLLOW_LIMIT too.
        .exclude(
            page_id__in=Follow.objects.filter(
                user_id=user_id, status=Follow.Status.APPROVED
            ).values("page_id")
        )
        .exclude(id__in=PostLike.objects.filter(user_id=user_id).values("post_id"))
        .exclude(page__owner_id__in=theirs)
        .exclude(page__owner_id__in=blocked)
    )


def _post_items(viewer: TokenUser, mine: Interests) -> list[Item]:
    base = _candidate_posts(viewer, mine)
    found: dict[uuid.UUID, Item] = {}
    tags = mine.tags
    if tags:
        tagged = (
            base.filter(id__in=PostTag.objects.filter(tag__in=tags).values("post_id"))
            .order_by("-id")
            .values_list("id", "tags")[:POST_WINDOW]
        )
        for post_id, post_tags in tagged:
            item = found.setdefault(post_id, Item("post", post_id))
            followed = [t for t in post_tags if t in mine.followed_tags]
            liked = [t for t in post_tags if t in mine.liked_tags]
            if followed:
                best = max(followed, key=lambda t: mine.followed_tags[t])
                item.why["followed_tag"] = best
                item.score += FOLLOWED_TAG_WEIGHT
            elif liked:
                best = max(liked, key=lambda t: mine.liked_tags[t])
                item.why["liked_tag"] = best
                item.score += LIKED_TAG_WEIGHT
    if mine.people:
        likes = PostLike.objects.filter(user_id__in=mine.people).order_by("-id")
        likers: dict[uuid.UUID, set[uuid.UUID]] = {}
        for post_id, liker in likes.values_list("post_id", "user_id")[:LIKE_WINDOW]:
            likers.setdefault(post_id, set()).add(liker)
        # Through the same filter as the tagged posts: only what the reader may be shown.
        kept = base.filter(id__in=list(likers)).values_list("id", flat=True)
        for post_id in kept:
            item = found.setdefault(post_id, Item("post", post_id))
            count = len(likers[post_id])
            item.why["popular_with_following"] = count
            item.score += POPULAR_WEIGHT * min(count, POPULAR_CAP)
    return list(found.values())


def _mentor_items(viewer: TokenUser, mine: Interests) -> list[Item]:
    user_id = viewer.id
    theirs, blocked = _blocked_people(user_id)
    found: dict[uuid.UUID, Item] = {}
    requests = LearningRequest.objects.filter(
        author_id=user_id, status=LearningRequest.Status.OPEN
    ).order_by("-id")[:OPEN_REQUESTS]
    excluded = UserRef.objects.filter(Q(id__in=theirs) | Q(id__in=blocked)).values("id")
    for request in requests:
        matches = (
            mentor_selectors.matching_mentors(
                request=request, viewer=viewer, first=MENTOR_WINDOW, exclude_users=excluded
            )
            .filter(page__is_blocked=False)
            .order_by("-match_score", "-id")
            .values_list("id", "match_score")[:MENTOR_WINDOW]
        )
        for profile_id, score in matches:
            item = found.setdefault(profile_id, Item("mentor", profile_id))
            if "matches_learning_request" not in item.why:
                item.why["matches_learning_request"] = request.subject
                item.score += REQUEST_WEIGHT + score / 10
    subjects = [tag for tag in mine.tags if tag in SUBJECTS]
    if subjects:
        teaching = (
            mentor_selectors.mentors(viewer=viewer)
            .filter(page__is_blocked=False)
            .filter(id__in=MentorSubject.objects.filter(code__in=subjects).values("profile_id"))
            .exclude(user_id=user_id)
            .exclude(user_id__in=theirs)
            .exclude(user_id__in=blocked)
            .order_by("-rank", "-id")
            .values_list("id", "subjects", "rank")[:MENTOR_WINDOW]
        )
        for profile_id, taught, rank in teaching:
            item = found.setdefault(profile_id, Item("mentor", profile_id))
            item.why["teaches_your_subject"] = next(s for s in subjects if s in taught)
            item.score += SUBJECT_WEIGHT + rank / 5
    return list(found.values())


def reason_text(code: str, value: Any) -> str:
    """The reason in the active language (the codes never change with it)."""
    if code == "followed_tag":
        return gettext("Because you follow pages about #%(tag)s") % {"tag": value}
    if code == "liked_tag":
        return gettext("Because you liked posts about #%(tag)s") % {"tag": value}
    if code == "popular_with_following":
        return ngettext(
            "Liked by %(count)d person you follow",
            "Liked by %(count)d people you follow",
            value,
        ) % {"count": value}
    if code == "matches_learning_request":
        return gettext("Matches your learning request for %(subject)s") % {
            "subject": SUBJECTS.get(value, value)
        }
    if code == "teaches_your_subject":
        return gettext("Teaches %(subject)s, a topic you follow") % {
            "subject": SUBJECTS.get(value, value)
        }
    raise ValueError(code)


@dataclass
class Found:
    kind: Kind
    obj: Post | MentorProfile
    reasons: list[dict[str, str]]


def for_you(
    *,
    viewer: TokenUser,
    kind: str | None,
    after: tuple[float, str] | None,
    limit: int,
) -> tuple[list[Found], tuple[float, str] | None]:
    """Up to `limit` recommendations after the cursor `after` (score, id), best first, and
    the cursor of the next page (None at the end). `kind`: "posts", "mentors" or None for both.

    A constant number of queries: interests (3), posts (2), mentors (1 + 2 per open request, at
    most OPEN_REQUESTS, + 1), then the page's own rows (posts, their videos, mentors)."""
    mine = interests(user_id=viewer.id)
    items: list[Item] = []
    if kind in (None, "posts"):
        items += _post_items(viewer, mine)
    if kind in (None, "mentors"):
        items += _mentor_items(viewer, mine)
    items.sort(key=lambda item: item.key, reverse=True)
    if after is not None:
        items = [item for item in items if item.key < after]
    page, more = items[:limit], len(items) > limit
    post_ids = [item.id for item in page if item.kind == "post"]
    mentor_ids = [item.id for item in page if item.kind == "mentor"]
    posts: dict[uuid.UUID, Any] = {}
    mentors: dict[uuid.UUID, Any] = {}
    if post_ids:  # read again through the visibility rules, with what the serializer needs
        posts = {p.id: p for p in visible_posts(viewer=viewer).filter(id__in=post_ids)}
    if mentor_ids:
        mentors = {
            m.id: m for m in mentor_selectors.mentors(viewer=viewer).filter(id__in=mentor_ids)
        }
    found = []
    for item in page:
        obj = posts.get(item.id) if item.kind == "post" else mentors.get(item.id)
        if obj is None:  # gone between the two reads
            continue
        reasons = [{"code": c, "text": reason_text(c, v)} for c, v in item.why.items()]
        found.append(Found(item.kind, obj, reasons))
    return found, (page[-1].key if more and page else None)
