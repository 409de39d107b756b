"""Reading mentors and reviews, and who may review whom.

A mentor is seen as their personal page is (social.pages.selectors): hidden when the page is
blocked (moderation, or the owner banned), from a viewer the owner blocked, and once the profile
is withdrawn or the account deleted. Reviews by banned authors are hidden, as their comments are.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from cotask_common.errors import NotFound
from social.chat.models import Conversation, Message
from social.mentors.models import MentorLanguage, MentorProfile, MentorSubject, Review
from social.pages.models import PageBlock
from social.pages.selectors import Viewer, check_visible, is_staff, viewer_id


def no_mentor_message(ref: str | uuid.UUID) -> str:
    """The 404 for a mentor that is absent or hidden (one text, so they cannot be told apart)."""
    return gettext("No mentor with the id or handle %(ref)s.") % {"ref": repr(str(ref))}


def _profiles() -> QuerySet[MentorProfile]:
    return MentorProfile.objects.filter(
        withdrawn_at__isnull=True, user__is_deleted=False
    ).select_related("page", "user")


def mentor_by_ref(*, ref: str | uuid.UUID, viewer: Viewer) -> MentorProfile:
    """A visible mentor by user id, personal page id or handle; NotFound otherwise."""
    try:
        key = uuid.UUID(str(ref))
    except ValueError:
        match = Q(page__handle_key=str(ref).lower())
    else:
        match = Q(user_id=key) | Q(page_id=key) | Q(id=key)
    profile = _profiles().filter(match).first()
    if profile is None:
        raise NotFound(no_mentor_message(ref))
    try:
        check_visible(page=profile.page, viewer=viewer, ref=ref)
    except NotFound as exc:
        raise NotFound(no_mentor_message(ref)) from exc
    return profile


def my_profile(*, user_id: uuid.UUID) -> MentorProfile:
    profile = _profiles().filter(user_id=user_id).first()
    if profile is None:
        raise NotFound(gettext("You have no mentor profile."), code="no_mentor_profile")
    return profile


def _visible_q(viewer: Viewer, prefix: str = "") -> Q:
    """Mentors the viewer may see (a filter over MentorProfile, or a relation with `prefix`)."""
    if is_staff(viewer):
        return Q()
    user_id = viewer_id(viewer)
    visible = Q(**{f"{prefix}page__is_blocked": False})
    if user_id is not None:
        blocked_from = PageBlock.objects.filter(user_id=user_id).values("page_id")
        visible = (visible & ~Q(**{f"{prefix}page_id__in": blocked_from})) | Q(
            **{f"{prefix}user_id": user_id}
        )
    return visible


def mentors(
    *,
    viewer: Viewer,
    subject: str | None = None,
    language: str | None = None,
    min_rating: float | None = None,
    active: bool = False,
) -> QuerySet[MentorProfile]:
    """Visible mentors; the caller orders them (by rank)."""
    rows = _profiles().filter(_visible_q(viewer))
    if subject:
        rows = rows.filter(id__in=MentorSubject.objects.filter(code=subject).values("profile_id"))
    if language:
        rows = rows.filter(id__in=MentorLanguage.objects.filter(code=language).values("profile_id"))
    if min_rating is not None:
        rows = rows.filter(reviews_count__gt=0, average__gte=min_rating)
    if active:
        since = timezone.now() - timedelta(days=settings.SOCIAL_MENTOR_ACTIVE_DAYS)
        rows = rows.filter(last_active_at__gte=since)
    return rows


def _live_reviews() -> QuerySet[Review]:
    return Review.objects.filter(removed_at__isnull=True, student__is_banned=False).select_related(
        "student", "mentor", "mentor__page"
    )


def reviews_of(*, mentor: MentorProfile) -> QuerySet[Review]:
    return _live_reviews().filter(mentor=mentor)


def best_reviews(*, viewer: Viewer) -> QuerySet[Review]:
    """Reviews of 4 or 5 with text, of mentors the viewer may see: the main page's pick."""
    return (
        _live_reviews()
        .filter(rating__gte=4, mentor__withdrawn_at__isnull=True)
        .exclude(text="")
        .filter(_visible_q(viewer, prefix="mentor__"))
    )


def review_for(*, review_id: uuid.UUID, viewer: Viewer) -> Review:
    """A review the viewer may see: a live one of a visible mentor, or their own (a removed one
    too, with the moderator's reason); NotFound otherwise."""
    review = (
        Review.objects.select_related("mentor", "mentor__page", "student")
        .filter(id=review_id)
        .first()
    )
    user_id = viewer_id(viewer)
    missing = NotFound(gettext("No review with this id."))
    if review is None:
        raise missing
    if review.student_id == user_id or is_staff(viewer):
        return review
    if review.removed_at is not None or review.student.is_banned:
        raise missing
    try:
        mentor_by_ref(ref=review.mentor.user_id, viewer=viewer)
    except NotFound as exc:
        raise missing from exc
    return review


def blocked_between(*, a: uuid.UUID, b: uuid.UUID) -> bool:
    """Whether either person blocked the other from one of their pages."""
    return PageBlock.objects.filter(
        Q(page__owner_id=a, user_id=b) | Q(page__owner_id=b, user_id=a)
    ).exists()


def interaction(*, mentor_id: uuid.UUID, student_id: uuid.UUID) -> str | None:
    """The interaction that lets `student_id` review `mentor_id`, or None. Today: their direct
    conversation holds a message from the mentor. An accepted learning request is the second
    kind (Review.Interaction.LEARNING_REQUEST), checked here when it exists."""
    first, second = sorted([str(mentor_id), str(student_id)])
    answered = Message.objects.filter(
        conversation__pair_key=f"{first}:{second}",
        conversation__kind=Conversation.Kind.DIRECT,
        author_id=mentor_id,
        deleted_at__isnull=True,
    ).exists()
    return Review.Interaction.CONVERSATION if answered else None
