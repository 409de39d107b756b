"""Reading mentors and reviews, and who may review whom.

A mentor is seen as their personal page is (social.pages.selectors): hidden when the page is
blocked (moderation, or the owner banned), from a viewer the owner blocked, and once the profile
is withdrawn or the account deleted. Reviews by banned authors are hidden, as their comments are.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import get_language_info, gettext, ngettext

from cotask_common.errors import NotFound
from social.chat.models import Conversation, Message
from social.mentors import hot_sql
from social.mentors.models import (
    LearningOffer,
    LearningRequest,
    MentorLanguage,
    MentorProfile,
    MentorSubject,
    Review,
)
from social.mentors.subjects import SUBJECTS
from social.pages.models import Follow, Page, PageBlock
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
    """The interaction that lets `student_id` review `mentor_id`, or None: the mentor's offer on
    one of the student's learning requests was accepted, or their direct conversation holds a
    message from the mentor."""
    accepted = LearningOffer.objects.filter(
        status=LearningOffer.Status.ACCEPTED,
        mentor__user_id=mentor_id,
        request__author_id=student_id,
    ).exists()
    if accepted:
        return Review.Interaction.LEARNING_REQUEST
    first, second = sorted([str(mentor_id), str(student_id)])
    answered = Message.objects.filter(
        conversation__pair_key=f"{first}:{second}",
        conversation__kind=Conversation.Kind.DIRECT,
        author_id=mentor_id,
        deleted_at__isnull=True,
    ).exists()
    return Review.Interaction.CONVERSATION if answered else None


# ---------------------------------------------------------------------------------------------
# Learning requests
#
# Who sees a request (docs/decisions.md): its author and staff always; nobody else when the
# author is banned or deleted, or has blocked the viewer from one of their pages. Otherwise
# `public`: anyone, anonymous callers too; `followers`: the approved followers of the author's
# personal page (the rule of a private page's posts); `private`: nobody more. On top of that,
# every visibility reaches the mentors it is meant for: those teaching its subject (on a
# visible profile) and those who already offered, or no mentor could offer on it.


def no_request() -> NotFound:
    """The 404 of a request that is absent or hidden (one text, so they cannot be told apart)."""
    return NotFound(gettext("No learning request with this id."), code="not_found")


def _taught_by(user_id: uuid.UUID | None) -> QuerySet[MentorSubject, Any]:
    return MentorSubject.objects.filter(
        profile__user_id=user_id,
        profile__withdrawn_at__isnull=True,
        profile__page__is_blocked=False,
    ).values("code")


def visible_requests_q(*, viewer: Viewer) -> Q:
    """A filter over LearningRequest: the requests `viewer` may read (one condition with
    subqueries, so the lists stay constant in queries)."""
    if is_staff(viewer):
        return Q()
    user_id = viewer_id(viewer)
    public = Q(visibility=LearningRequest.Visibility.PUBLIC)
    alive = Q(author__is_banned=False, author__is_deleted=False)
    if user_id is None:
        return alive & public
    followed = Follow.objects.filter(
        user_id=user_id, status=Follow.Status.APPROVED, page__kind=Page.Kind.PERSONAL
    ).values("page__owner_id")
    blocked_by = PageBlock.objects.filter(user_id=user_id).values("page__owner_id")
    offered = LearningOffer.objects.filter(mentor__user_id=user_id).values("request_id")
    audience = (
        public
        | Q(visibility=LearningRequest.Visibility.FOLLOWERS, author_id__in=followed)
        | Q(subject__in=_taught_by(user_id))
        | Q(id__in=offered)
    )
    return Q(author_id=user_id) | (alive & ~Q(author_id__in=blocked_by) & audience)


def _requests() -> QuerySet[LearningRequest]:
    return LearningRequest.objects.select_related("author")


def request_for(*, request_id: uuid.UUID | str, viewer: Viewer) -> LearningRequest:
    """A request the viewer may read; NotFound otherwise (a hidden one looks absent)."""
    try:
        key = uuid.UUID(str(request_id))
    except ValueError as exc:
        raise no_request() from exc
    if hot_sql.enabled():  # the same rule in one statement compiled once (issue 21)
        found = hot_sql.request_for(request_id=key, viewer=viewer)
    else:
        found = _requests().filter(Q(id=key) & visible_requests_q(viewer=viewer)).first()
    if found is None:
        raise no_request()
    return found


def my_requests(*, user_id: uuid.UUID, status: str | None = None) -> QuerySet[LearningRequest]:
    rows = _requests().filter(author_id=user_id)
    return rows.filter(status=status) if status else rows


def requests_for_mentor(*, viewer: Viewer) -> QuerySet[LearningRequest]:
    """Open requests of the subjects the viewer teaches, that they may see, not their own."""
    user_id = viewer_id(viewer)
    return (
        _requests()
        .filter(status=LearningRequest.Status.OPEN, subject__in=_taught_by(user_id))
        .filter(visible_requests_q(viewer=viewer))
        .exclude(author_id=user_id)
    )


# The match score (docs/decisions.md): every matched mentor teaches the request's subject; on
# top, each of the request's tags among the mentor's tags adds 1, speaking the request's
# language 2, the Bayesian rank 0 to 5, and the years of experience up to 2 (capped at 20).
MATCH_TAG_WEIGHT = 1.0
MATCH_LANGUAGE_WEIGHT = 2.0
MATCH_YEARS_CAP = 20
# Float sums in another order may differ in the last bits: the candidate window is widened by
# this much, so rounding can only add a candidate, never drop one.
MATCH_SLACK = 1e-6


def match_base(prefix: str = "") -> Any:
    """min(years, 20) / 10 + rank: the part of the match score no request changes (over
    MentorProfile, or a relation with `prefix`). Stored as `base_score` on the subject and
    language rows (services.sync_match_base)."""
    years: Any = Cast(
        Least(F(f"{prefix}years_experience"), Value(MATCH_YEARS_CAP)), FloatField()
    ) / Value(MATCH_YEARS_CAP / 2)
    return years + F(f"{prefix}rank")


def _matchable(request: LearningRequest, viewer: Viewer, exclude_users: Any, prefix: str = "") -> Q:
    """The mentors `matching_mentors` may list, as a filter over MentorProfile or `prefix`."""
    alive = Q(**{f"{prefix}withdrawn_at__isnull": True, f"{prefix}user__is_deleted": False})
    rows = alive & _visible_q(viewer, prefix=prefix) & ~Q(**{f"{prefix}user_id": request.author_id})
    if exclude_users is not None:
        rows &= ~Q(**{f"{prefix}user_id__in": exclude_users})
    return rows


def matching_mentors(
    *,
    request: LearningRequest,
    viewer: Viewer,
    first: int | None = None,
    exclude_users: Any = None,
) -> QuerySet[Any]:
    """Visible mentors teaching the request's subject (never its author, nor `exclude_users`:
    a subquery of user ids), with `match_score` and `speaks` annotated; order by
    `-match_score, -id`.

    With `first`, only the mentors that can be among the first `first` of that order are
    read (`_candidates`): the same rows in the same order for the first `first`, and nothing
    after them, so only for a first page (or a top-N)."""
    speaks, score = _match_score(request)
    if first:
        # The candidates' statement already kept only the mentors `viewer` may see (and not
        # `exclude_users`): the page reads them by id, without compiling those rules again.
        rows = _profiles().filter(id__in=_candidates(request, viewer, first, exclude_users))
    else:  # every mentor of the subject
        rows = (
            _profiles()
            .filter(_matchable(request, viewer, exclude_users))
            .filter(id__in=MentorSubject.objects.filter(code=request.subject).values("profile_id"))
        )
    return rows.annotate(speaks=speaks, match_score=score)


class RankedRows(list[MentorProfile]):
    """A first page of matches already in the cursor's order (`-match_score, -id`): what the
    cursor paginator asks of a queryset for a first page (`order_by`, a slice)."""

    ORDERING = ("-match_score", "-id")

    def order_by(self, *ordering: str) -> RankedRows:
        if ordering != self.ORDERING:
            raise ValueError(f"already ordered by {self.ORDERING}, not {ordering}")
        return self


def first_matches(
    *, request: LearningRequest, viewer: Viewer, first: int
) -> QuerySet[Any] | RankedRows:
    """The first `first` of `matching_mentors(first=first)` by `-match_score, -id`: on
    PostgreSQL the rows of hand-written statements (the candidates, then their profiles and
    pages scored as the ORM scores them, issue 21), else the queryset itself."""
    if not hot_sql.enabled():
        return matching_mentors(request=request, viewer=viewer, first=first)
    ids = _candidates(request, viewer, first, None)
    weights = (MATCH_YEARS_CAP, MATCH_YEARS_CAP / 2, MATCH_LANGUAGE_WEIGHT, 0.0, MATCH_TAG_WEIGHT)
    return RankedRows(hot_sql.page_rows(request=request, ids=ids, first=first, weights=weights))


def _match_score(request: LearningRequest, prefix: str = "", outer: str = "id") -> tuple[Any, Any]:
    """(`speaks`, `match_score`) over MentorProfile, or over a relation with `prefix` whose
    profile id is `outer`: one expression, so both orders are the same to the last bit."""
    speaking = MentorLanguage.objects.filter(profile_id=OuterRef(outer), code=request.language)
    speaks = Exists(speaking)
    score: Any = Cast(
        Least(F(f"{prefix}years_experience"), Value(MATCH_YEARS_CAP)), FloatField()
    ) / Value(MATCH_YEARS_CAP / 2)
    score = (
        score
        + F(f"{prefix}rank")
        + Case(When(speaks, then=Value(MATCH_LANGUAGE_WEIGHT)), default=Value(0.0))
    )
    for tag in request.tags:
        # A tag is stored as a JSON string in the list: '"tag"' matches that element only.
        score = score + Case(
            When(**{f"{prefix}tags__icontains": f'"{tag}"'}, then=Value(MATCH_TAG_WEIGHT)),
            default=Value(0.0),
        )
    return speaks, Cast(score, FloatField())


def _candidates(
    request: LearningRequest, viewer: Viewer, first: int, exclude_users: Any
) -> list[uuid.UUID]:
    """The ids of the first `first` matches: on PostgreSQL one hand-written statement
    (social.mentors.hot_sql), else (and with `exclude_users`) its ORM twin below."""
    if exclude_users is None and hot_sql.enabled():
        spread = MATCH_TAG_WEIGHT * len(request.tags) + MATCH_SLACK
        return hot_sql.match_candidates(request=request, viewer=viewer, first=first, spread=spread)
    return _candidates_orm(request, viewer, first, exclude_users)


def _candidates_orm(
    request: LearningRequest, viewer: Viewer, first: int, exclude_users: Any
) -> list[uuid.UUID]:
    """The ids of the first `first` matches (one query: the mentors that can be among them,
    read over the (code, base_score) index of the subject rows, scored by `_match_score`).

    Why it is exact: score = base + 2 * speaks + tags, with 0 <= tags <= len(request.tags) = L.
    The `first` best of the subject by base each score at least the `first`-th best base B1;
    the `first` best speakers of the language among them score at least B2 + 2 (B2: the
    `first`-th best speaker's base). So at least `first` mentors score F = max(B1, B2 + 2) or
    more, and so does everyone among the first `first`: such a mentor has base >= F - L, or
    speaks and has base >= F - L - 2. Those rows are all read (ties at F included, so the
    `-id` order of a tie is kept). The floors count only the mentors the reader may see."""
    visible = _matchable(request, viewer, exclude_users, prefix="profile__")
    teaches = MentorSubject.objects.filter(code=request.subject)
    speaking = MentorLanguage.objects.filter(code=request.language).values("profile_id")
    by_base = teaches.filter(visible).order_by("-base_score").values("base_score")
    nth_teacher = Subquery(by_base[first - 1 : first])
    nth_speaker = Subquery(by_base.filter(profile_id__in=speaking)[first - 1 : first])
    nothing = Value(-1e9)  # fewer than `first`: no floor from that list
    floor = Greatest(
        Coalesce(nth_teacher, nothing), Coalesce(nth_speaker + MATCH_LANGUAGE_WEIGHT, nothing)
    )
    low = floor - Value(MATCH_TAG_WEIGHT * len(request.tags) + MATCH_SLACK)
    _speaks, score = _match_score(request, prefix="profile__", outer="profile_id")
    rows = (
        teaches.alias(low=low)
        .filter(base_score__gte=F("low") - MATCH_LANGUAGE_WEIGHT)
        .filter(Q(base_score__gte=F("low")) | Q(profile_id__in=speaking))
        .filter(visible)
        .annotate(score=score)
        .order_by("-score", "-profile_id")
        .values_list("profile_id", flat=True)
    )
    # The first `first` of those by the full score: the page's own rows, so the last query
    # reads only them.
    return list(rows[:first])


def offer_for(*, offer_id: uuid.UUID) -> LearningOffer:
    """An offer by id, for the answer of the service that just wrote it."""
    return LearningOffer.objects.select_related("mentor", "mentor__page").get(id=offer_id)


def blocked_by_author(*, author_id: uuid.UUID) -> QuerySet[PageBlock, Any]:
    """The people the author blocked from one of their pages (they do not see the request)."""
    return PageBlock.objects.filter(page__owner_id=author_id).values("user_id")


def offers_on(*, request: LearningRequest, viewer: Viewer) -> QuerySet[LearningOffer]:
    """The request's offers: all of them for its author (and staff), a mentor's own for them."""
    rows = LearningOffer.objects.filter(request=request).select_related(
        "mentor", "mentor__page", "mentor__user"
    )
    user_id = viewer_id(viewer)
    if request.author_id == user_id or is_staff(viewer):
        return rows
    return rows.filter(mentor__user_id=user_id)


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def match_reasons(*, profile: MentorProfile, request: LearningRequest) -> list[dict[str, str]]:
    """Why `profile` (from `matching_mentors`) matches `request`, in the active language: one
    line per part of the score that counted."""
    return MatchReasons(request)(profile)


class MatchReasons:
    """`match_reasons` for the many mentors of one request's page: the lines they share (the
    subject, the language, the plural forms by count) translated once, not once a row (issue
    21: the translations were ~1 ms of a page's CPU)."""

    def __init__(self, request: LearningRequest) -> None:
        self.request = request
        self.subject = gettext("Teaches %(subject)s") % {
            "subject": SUBJECTS.get(request.subject, request.subject)
        }
        self._language: str | None = None
        self._also_knows: str | None = None
        self._rated: dict[int, str] = {}
        self._years: dict[int, str] = {}

    def language(self) -> str:
        if self._language is None:
            self._language = gettext("Speaks %(language)s") % {
                "language": _language_name(self.request.language)
            }
        return self._language

    def __call__(self, profile: MentorProfile) -> list[dict[str, str]]:
        reasons = [{"code": "subject", "text": self.subject}]
        shared = [tag for tag in self.request.tags if tag in profile.tags]
        if shared:
            if self._also_knows is None:
                self._also_knows = gettext("Also knows %(tags)s")
            reasons.append({"code": "tags", "text": self._also_knows % {"tags": ", ".join(shared)}})
        if getattr(profile, "speaks", False):
            reasons.append({"code": "language", "text": self.language()})
        count = profile.reviews_count
        if count:
            if count not in self._rated:
                self._rated[count] = ngettext(
                    "Rated %(average)s by %(count)d student",
                    "Rated %(average)s by %(count)d students",
                    count,
                )
            reasons.append(
                {
                    "code": "rating",
                    "text": self._rated[count]
                    % {"average": f"{profile.average:.1f}", "count": count},
                }
            )
        years = profile.years_experience
        if years:
            if years not in self._years:
                self._years[years] = ngettext(
                    "%(years)d year of experience", "%(years)d years of experience", years
                ) % {"years": years}
            reasons.append({"code": "experience", "text": self._years[years]})
        return reasons
