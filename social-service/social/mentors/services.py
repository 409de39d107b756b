"""Writes on mentor profiles and reviews.

Lock order, the same in every review write: the mentor's profile row first (`SELECT ... FOR
UPDATE`), then the review row, then the one `RatingTotals` row last. Concurrent reviews of one
mentor therefore queue on the profile row, and the aggregate recounted under that lock always
equals a recount; the totals row is held only from its UPDATE to the commit."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext, ngettext, override

from cotask_common.errors import Conflict, Forbidden, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.roles import can_moderate
from cotask_common.users.models import UserRef
from social import hot_sql
from social.core.validation import clean_currency, clean_tags, clean_text
from social.mentors import selectors
from social.mentors.models import (
    LearningOffer,
    LearningRequest,
    MentorLanguage,
    MentorProfile,
    MentorSubject,
    MentorSubjectLanguage,
    RatingTotals,
    Review,
)
from social.mentors.subjects import SUBJECTS
from social.pages.selectors import Viewer
from social.pages.services import ensure_personal_page

MAX_SUBJECTS = 10
MAX_TAGS = 20
MAX_LANGUAGES = 10
BIO_MAX = 2000
AVAILABILITY_MAX = 500
REASON_MAX = 1000
MAX_YEARS = 80
# ISO 639-1 codes (two letters) Django knows the names of.
LANGUAGE_CODES = frozenset(code for code in LANG_INFO if len(code) == 2)


# ---------------------------------------------------------------------------------------------
# Profiles


def _too_many(field: str, limit: int, count: int) -> ServiceError:
    return ServiceError.for_field(
        field,
        ngettext(
            "At most %(limit)s item, got %(count)s.",
            "At most %(limit)s items, got %(count)s.",
            limit,
        )
        % {"limit": limit, "count": count},
        code="too_many",
    )


def _clean_codes(
    values: Any, *, field: str, known: frozenset[str] | dict[str, Any], limit: int
) -> list[str]:
    codes = list(dict.fromkeys(str(v).strip().lower() for v in (values or [])))
    if len(codes) > limit:
        raise _too_many(field, limit, len(codes))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ServiceError.for_field(
            field,
            gettext("Unknown code: %(codes)s.") % {"codes": ", ".join(map(repr, unknown))},
            code="unknown",
        )
    return codes


def _clean_price(
    price_min: Decimal | None, price_max: Decimal | None, currency: str | None
) -> tuple[Decimal | None, Decimal | None, str]:
    message = gettext("A price range needs a three-letter currency code (ISO 4217), e.g. EUR.")
    currency = clean_currency(currency, message=message)
    if price_min is None and price_max is None:
        return None, None, ""
    if price_min is None or price_max is None:
        field = "price_min" if price_min is None else "price_max"
        raise ServiceError.for_field(
            field, gettext("Give both ends of the price range, or neither."), code="range_both"
        )
    if price_min > price_max:
        raise ServiceError.for_field(
            "price_max",
            gettext("The highest price must not be below the lowest (%(min)s).")
            % {"min": price_min},
            code="range_order",
        )
    if not currency:
        raise ServiceError.for_field("currency", message, code="currency_needed")
    return price_min, price_max, currency


def set_profile(
    *,
    user: Any,
    subjects: list[str],
    tags: list[str] | None = None,
    languages: list[str],
    years_experience: int = 0,
    bio: str = "",
    price_min: Decimal | None = None,
    price_max: Decimal | None = None,
    currency: str | None = None,
    availability: str = "",
) -> MentorProfile:
    """Create or replace the caller's mentor profile (a withdrawn one comes back)."""
    subjects = _clean_codes(subjects, field="subjects", known=SUBJECTS, limit=MAX_SUBJECTS)
    if not subjects:
        raise ServiceError.for_field(
            "subjects", gettext("Name at least one subject."), code="required"
        )
    languages = _clean_codes(
        languages, field="languages", known=LANGUAGE_CODES, limit=MAX_LANGUAGES
    )
    tags = clean_tags(tags, limit=MAX_TAGS)
    if not 0 <= years_experience <= MAX_YEARS:
        raise ServiceError.for_field(
            "years_experience",
            gettext("A number from 0 to %(most)s.") % {"most": MAX_YEARS},
        )
    bio = clean_text(bio, field="bio", limit=BIO_MAX)
    availability = clean_text(availability, field="availability", limit=AVAILABILITY_MAX)
    price_min, price_max, currency = _clean_price(price_min, price_max, currency)
    account = (
        UserRef.objects.filter(id=user.id).values("is_banned", "is_deleted", "display_name").first()
    )
    if account and (account["is_banned"] or account["is_deleted"]):
        raise Forbidden(gettext("This account may not be a mentor."), code="user_banned")
    page = ensure_personal_page(user=user)
    fields = {
        "page": page,
        "subjects": subjects,
        "tags": tags,
        "languages": languages,
        "years_experience": years_experience,
        "bio": bio,
        "price_min": price_min,
        "price_max": price_max,
        "currency": currency,
        "availability": availability,
        "withdrawn_at": None,
        "search_text": search_text(
            names=[page.handle, page.name, account["display_name"] if account else ""],
            subjects=subjects,
            tags=tags,
            bio=bio,
        ),
    }
    with transaction.atomic():
        profile, _created = MentorProfile.objects.update_or_create(user_id=user.id, defaults=fields)
        _set_rows(MentorSubject, profile, subjects)
        _set_rows(MentorLanguage, profile, languages)
        _set_pairs(profile, subjects, languages, tags)
        sync_match_base(Q(id=profile.id))
    return profile


def search_text(*, names: list[str], subjects: list[str], tags: list[str], bio: str) -> str:
    """The text search matches a mentor by: the names, the subjects (codes and names in every
    language, so "математика" finds a mentor who picked `mathematics` in English), the tags
    and the bio. Kept current here, where the profile is written; the page's name is read as it
    is at that moment (a renamed page is searched by its new name on the next profile save)."""
    parts = [name for name in names if name]
    for code in subjects:
        parts.append(code.replace("_", " "))
        name = SUBJECTS.get(code)
        for language in ("en", "ru", "uk") if name is not None else ():
            with override(language):
                parts.append(str(name))
    parts += [f"#{tag}" for tag in tags]
    parts.append(bio)
    # Lower-cased: SQLite's case-insensitive LIKE folds ASCII only, so the embedded default
    # finds "Математика" by comparing lower-cased text with a lower-cased query.
    return "\n".join(dict.fromkeys(parts)).lower()


def _set_rows(model: Any, profile: MentorProfile, codes: list[str]) -> None:
    model.objects.filter(profile=profile).exclude(code__in=codes).delete()
    existing = set(model.objects.filter(profile=profile).values_list("code", flat=True))
    model.objects.bulk_create([model(profile=profile, code=c) for c in codes if c not in existing])


def _set_pairs(
    profile: MentorProfile, subjects: list[str], languages: list[str], tags: list[str]
) -> None:
    # Rewritten whole: at most MAX_SUBJECTS x MAX_LANGUAGES rows, and the tags change with them.
    MentorSubjectLanguage.objects.filter(profile=profile).delete()
    MentorSubjectLanguage.objects.bulk_create(
        [
            MentorSubjectLanguage(profile=profile, subject=s, language=lang, tags=tags)
            for s in subjects
            for lang in languages
        ]
    )


def sync_match_base(profiles: Q) -> None:
    """Copy `selectors.match_base` of the `profiles` (a filter over MentorProfile) onto their
    subject and language rows. Called in the transaction of every write of a rank or of years
    of experience, so the matching's candidate window is never read stale."""
    ids = MentorProfile.objects.filter(profiles).values("id")
    base = Subquery(
        MentorProfile.objects.filter(id=OuterRef("profile_id"))
        .annotate(base=selectors.match_base())
        .values("base")[:1]
    )
    for model in (MentorSubject, MentorLanguage, MentorSubjectLanguage):
        model.objects.filter(profile_id__in=ids).update(base_score=base)


def withdraw_profile(*, user_id: uuid.UUID) -> None:
    """The mentor leaves the lists; reviews and the aggregate are kept (see models)."""
    changed = MentorProfile.objects.filter(user_id=user_id, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if not changed:
        raise NotFound(gettext("You have no mentor profile."), code="no_mentor_profile")


def touch_activity(*, user_id: uuid.UUID) -> None:
    """Keep `last_active_at` of the person's mentor profile (if any) current. Written at most
    once an hour per mentor: the 30-day window does not need more, and every chat message
    would otherwise rewrite the row."""
    now = timezone.now()
    hot_sql.touch_mentor(user_id=user_id, now=now, stale_before=now - timedelta(hours=1))


# ---------------------------------------------------------------------------------------------
# The aggregate


def bayesian_rank(*, rating_sum: int, count: int, prior_mean: float) -> float:
    """(C*m + sum) / (C + n); a mentor without reviews ranks 0, after every reviewed one."""
    if count == 0:
        return 0.0
    weight = settings.SOCIAL_MENTOR_RANK_PRIOR_WEIGHT
    return (weight * prior_mean + rating_sum) / (weight + count)


def _lock_mentor(mentor_id: uuid.UUID) -> MentorProfile:
    """The profile row, locked until the commit: the first statement of every review write."""
    return (
        MentorProfile.objects.select_for_update(of=("self",))
        .select_related("page")
        .get(id=mentor_id)
    )


def _review_data(review: Review, profile: MentorProfile, recipient: uuid.UUID) -> dict[str, Any]:
    return {
        "review_id": str(review.id),
        "mentor_id": str(profile.id),
        "mentor_user_id": str(profile.user_id),
        "mentor_handle": profile.page.handle,
        "student_id": str(review.student_id),
        "rating": review.rating,
        "recipient_ids": [str(recipient)],
    }


def _refresh_aggregate(profile: MentorProfile) -> None:
    """Recount the (locked) mentor's live reviews and move the global totals by the change.
    Under the lock, the recount sees every review write committed before ours."""
    live = Review.objects.filter(mentor_id=profile.id, removed_at__isnull=True)
    counts = live.aggregate(
        n=Count("id"),
        total=Sum("rating"),
        **{f"r{i}": Count("id", filter=Q(rating=i)) for i in range(1, 6)},
    )
    count, total = counts["n"], counts["total"] or 0
    delta_count, delta_sum = count - profile.reviews_count, total - profile.rating_sum
    if delta_count or delta_sum:
        if not RatingTotals.objects.filter(id=1).exists():
            RatingTotals.objects.bulk_create([RatingTotals(id=1)], ignore_conflicts=True)
        RatingTotals.objects.filter(id=1).update(
            reviews_count=F("reviews_count") + delta_count,
            rating_sum=F("rating_sum") + delta_sum,
        )
    totals = RatingTotals.objects.filter(id=1).values("reviews_count", "rating_sum").first()
    prior = (
        totals["rating_sum"] / totals["reviews_count"]
        if totals and totals["reviews_count"]
        else 0.0
    )
    MentorProfile.objects.filter(id=profile.id).update(
        reviews_count=count,
        rating_sum=total,
        average=total / count if count else 0.0,
        rank=bayesian_rank(rating_sum=total, count=count, prior_mean=prior),
        **{f"rating_{i}": counts[f"r{i}"] for i in range(1, 6)},
    )
    sync_match_base(Q(id=profile.id))


def refresh_ranks() -> int:
    """Every mentor's rank with today's prior (the global mean moves with every review; a
    write refreshes only its own mentor). Run periodically by Celery beat."""
    totals = RatingTotals.objects.filter(id=1).first()
    if totals is None or not totals.reviews_count:
        return 0
    prior = totals.rating_sum / totals.reviews_count
    weight = settings.SOCIAL_MENTOR_RANK_PRIOR_WEIGHT
    with transaction.atomic():
        changed = MentorProfile.objects.filter(reviews_count__gt=0).update(
            rank=(weight * prior + F("rating_sum")) * 1.0 / (weight + F("reviews_count"))
        )
        sync_match_base(Q(reviews_count__gt=0))
    return changed


# ---------------------------------------------------------------------------------------------
# Reviews


def _clean_rating(rating: Any) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ServiceError.for_field("rating", gettext("A whole number from 1 to 5."))
    return rating


def _clean_review_text(text: str | None) -> str:
    return clean_text(text, field="text", limit=settings.SOCIAL_MENTOR_REVIEW_MAX_LENGTH)


def _check_may_review(*, mentor: MentorProfile, student_id: uuid.UUID) -> str:
    """The interaction that allows the review (see selectors.interaction), or Forbidden."""
    if mentor.user_id == student_id:
        raise Forbidden(gettext("You cannot review yourself."), code="self_review")
    account = UserRef.objects.filter(id=student_id).values("is_banned", "is_deleted").first()
    if account and (account["is_banned"] or account["is_deleted"]):
        raise Forbidden(gettext("This account may not write reviews."), code="user_banned")
    if selectors.blocked_between(a=mentor.user_id, b=student_id):
        raise Forbidden(
            gettext("You cannot review a mentor when one of you has blocked the other."),
            code="blocked",
        )
    interaction = selectors.interaction(mentor_id=mentor.user_id, student_id=student_id)
    if interaction is None:
        raise Forbidden(
            gettext(
                "You can review a mentor only after a real interaction: an accepted offer on "
                "your learning request, or a conversation in which they answered you."
            ),
            code="no_interaction",
        )
    return interaction


def create_review(
    *, mentor: MentorProfile, student_id: uuid.UUID, rating: Any, text: str | None = ""
) -> Review:
    rating = _clean_rating(rating)
    text = _clean_review_text(text)
    interaction = _check_may_review(mentor=mentor, student_id=student_id)
    already = Conflict(
        gettext("You have already reviewed this mentor; edit that review instead."),
        code="already_reviewed",
    )
    try:
        with transaction.atomic():
            profile = _lock_mentor(mentor.id)
            if profile.withdrawn_at is not None:
                raise NotFound(selectors.no_mentor_message(mentor.user_id))
            if Review.objects.filter(mentor=profile, student_id=student_id).exists():
                raise already
            review = Review.objects.create(
                mentor=profile,
                student_id=student_id,
                rating=rating,
                text=text,
                interaction=interaction,
            )
            _refresh_aggregate(profile)
            profile.refresh_from_db(fields=["average", "reviews_count"])
            publish_event(
                type="social.mentor.reviewed",
                key=profile.id,
                actor=student_id,
                data={
                    **_review_data(review, profile, profile.user_id),
                    "average": round(profile.average, 2),
                    "reviews_count": profile.reviews_count,
                },
            )
    except IntegrityError as exc:  # the unique constraint, if the lock was ever bypassed
        raise already from exc
    return review


def _own(review: Review, actor_id: uuid.UUID) -> None:
    if review.student_id != actor_id:
        raise Forbidden(gettext("Only the review's author may do this."), code="not_author")


def update_review(
    *, review: Review, actor_id: uuid.UUID, rating: Any = None, text: str | None = None
) -> Review:
    _own(review, actor_id)
    changes: dict[str, Any] = {}
    if rating is not None:
        changes["rating"] = _clean_rating(rating)
    if text is not None:
        changes["text"] = _clean_review_text(text)
    if not changes:
        return review
    with transaction.atomic():
        profile = _lock_mentor(review.mentor_id)
        Review.objects.filter(id=review.id).update(edited_at=timezone.now(), **changes)
        if "rating" in changes:
            _refresh_aggregate(profile)
    review.refresh_from_db()
    return review


def delete_review(*, review: Review, actor_id: uuid.UUID) -> None:
    _own(review, actor_id)
    with transaction.atomic():
        profile = _lock_mentor(review.mentor_id)
        Review.objects.filter(id=review.id).delete()
        _refresh_aggregate(profile)


def answer_review(*, review: Review, actor_id: uuid.UUID, text: str | None) -> Review:
    """The mentor's one answer to a review."""
    if review.mentor.user_id != actor_id:
        raise Forbidden(gettext("Only the reviewed mentor may answer."), code="not_mentor")
    text = clean_text(
        text, field="text", limit=settings.SOCIAL_MENTOR_REVIEW_MAX_LENGTH, required=True
    )
    with transaction.atomic():
        now = timezone.now()
        answered = Review.objects.filter(id=review.id, answered_at__isnull=True).update(
            answer=text, answered_at=now
        )
        if not answered:
            raise Conflict(gettext("This review already has your answer."), code="already_answered")
        touch_activity(user_id=actor_id)
        publish_event(
            type="social.review.answered",
            key=review.id,
            actor=actor_id,
            data=_review_data(review, review.mentor, review.student_id),
        )
    review.refresh_from_db()
    return review


def remove_review(*, review: Review, viewer: Viewer, reason: str | None) -> Review:
    """A moderator takes the review down; its author sees the reason."""
    if not can_moderate(viewer):
        raise Forbidden(gettext("Only moderators may remove reviews."), code="not_moderator")
    assert viewer is not None
    reason = clean_text(reason, field="reason", limit=REASON_MAX, required=True)
    with transaction.atomic():
        profile = _lock_mentor(review.mentor_id)
        removed = Review.objects.filter(id=review.id, removed_at__isnull=True).update(
            removed_at=timezone.now(), removed_reason=reason, removed_by_id=viewer.id
        )
        if not removed:
            raise Conflict(gettext("This review is already removed."), code="already_removed")
        _refresh_aggregate(profile)
    review.refresh_from_db()
    return review


# ---------------------------------------------------------------------------------------------
# Deleted accounts


def _recount_totals() -> None:
    """The global totals from every mentor's aggregate, under the totals row's lock: a writer
    that committed before is counted, one still running adds its delta after us."""
    RatingTotals.objects.bulk_create([RatingTotals(id=1)], ignore_conflicts=True)
    RatingTotals.objects.select_for_update().get(id=1)
    sums = MentorProfile.objects.aggregate(n=Sum("reviews_count"), total=Sum("rating_sum"))
    RatingTotals.objects.filter(id=1).update(
        reviews_count=sums["n"] or 0, rating_sum=sums["total"] or 0
    )


def forget_user(*, user_id: uuid.UUID) -> None:
    """`auth.user.deleted`: the person's reviews go (they quote them), each mentor's aggregate
    follows, and so does their own mentor profile with the reviews of them, their offers and
    their learning requests."""
    with transaction.atomic():
        reviews = Review.objects.filter(student_id=user_id).order_by("mentor_id")
        for review_id, mentor_id in reviews.values_list("id", "mentor_id"):
            profile = _lock_mentor(mentor_id)  # in mentor order, so two deletions never deadlock
            Review.objects.filter(id=review_id).delete()
            _refresh_aggregate(profile)
        MentorProfile.objects.filter(user_id=user_id).delete()  # their offers go with it
        # Their learning requests quote them, as reviews do; the offers on them go too.
        LearningRequest.objects.filter(author_id=user_id).delete()
        _recount_totals()


# ---------------------------------------------------------------------------------------------
# Learning requests
#
# Lock order: the request row first (`SELECT ... FOR UPDATE`), then its offers. An offer, a
# close and an accept of one request queue there, so an offer never lands on a closed
# request and a request is accepted once.

REQUIREMENTS_MAX = 4000
OFFER_MESSAGE_MAX = 2000


def _check_may_act(user_id: uuid.UUID) -> None:
    """A banned or deleted account writes no requests or offers (its token is usually refused
    before this; the projection may learn of the ban first)."""
    account = UserRef.objects.filter(id=user_id).values("is_banned", "is_deleted").first()
    if account and (account["is_banned"] or account["is_deleted"]):
        raise Forbidden(gettext("This account may not do this."), code="user_banned")


def _choice(value: Any, *, field: str, choices: Any) -> str:
    if value not in choices.values:
        raise ServiceError.for_field(
            field,
            gettext("Must be one of: %(choices)s.") % {"choices": ", ".join(choices.values)},
        )
    return str(value)


def _clean_budget(
    budget_min: Decimal | None, budget_max: Decimal | None, currency: str | None
) -> tuple[Decimal | None, Decimal | None, str]:
    """Either end may be left out; a budget names its currency."""
    message = gettext("A budget needs a three-letter currency code (ISO 4217), e.g. EUR.")
    currency = clean_currency(currency, message=message)
    if budget_min is None and budget_max is None:
        return None, None, ""
    if budget_min is not None and budget_max is not None and budget_min > budget_max:
        raise ServiceError.for_field(
            "budget_max",
            gettext("The highest budget must not be below the lowest (%(min)s).")
            % {"min": budget_min},
            code="range_order",
        )
    if not currency:
        raise ServiceError.for_field("currency", message, code="currency_needed")
    return budget_min, budget_max, currency


def _clean_request_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Each given field checked (a 400 naming it), the way create and edit share."""
    clean: dict[str, Any] = {}
    if "subject" in fields:
        subject = str(fields["subject"] or "").strip().lower()
        if subject not in SUBJECTS:
            raise ServiceError.for_field(
                "subject",
                gettext("Unknown code: %(codes)s.") % {"codes": repr(fields["subject"])},
                code="unknown",
            )
        clean["subject"] = subject
    if "tags" in fields:
        clean["tags"] = clean_tags(fields["tags"], limit=MAX_TAGS)
    if "requirements" in fields:
        clean["requirements"] = clean_text(
            fields["requirements"], field="requirements", limit=REQUIREMENTS_MAX
        )
    if "level" in fields:
        clean["level"] = _choice(fields["level"], field="level", choices=LearningRequest.Level)
    if "visibility" in fields:
        clean["visibility"] = _choice(
            fields["visibility"], field="visibility", choices=LearningRequest.Visibility
        )
    if "language" in fields:
        language = str(fields["language"] or "").strip().lower()
        if language not in LANGUAGE_CODES:
            raise ServiceError.for_field(
                "language",
                gettext("Unknown code: %(codes)s.") % {"codes": repr(fields["language"])},
                code="unknown",
            )
        clean["language"] = language
    if "deadline" in fields:
        deadline = fields["deadline"]
        if deadline is not None and deadline < timezone.localdate():
            raise ServiceError.for_field(
                "deadline", gettext("The deadline is in the past."), code="past"
            )
        clean["deadline"] = deadline
    return clean


def create_request(
    *,
    author_id: uuid.UUID,
    subject: str,
    language: str,
    tags: list[str] | None = None,
    requirements: str = "",
    level: str = LearningRequest.Level.BEGINNER,
    budget_min: Decimal | None = None,
    budget_max: Decimal | None = None,
    currency: str | None = None,
    deadline: Any = None,
    visibility: str = LearningRequest.Visibility.PUBLIC,
) -> LearningRequest:
    clean = _clean_request_fields(
        {
            "subject": subject,
            "language": language,
            "tags": tags,
            "requirements": requirements,
            "level": level,
            "deadline": deadline,
            "visibility": visibility,
        }
    )
    budget_min, budget_max, currency = _clean_budget(budget_min, budget_max, currency)
    _check_may_act(author_id)
    with transaction.atomic():
        request = LearningRequest.objects.create(
            author_id=author_id,
            budget_min=budget_min,
            budget_max=budget_max,
            currency=currency,
            **clean,
        )
        _publish_matched(request)
    return request


def _own_request(request: LearningRequest, actor_id: uuid.UUID) -> None:
    if request.author_id != actor_id:
        raise Forbidden(
            gettext("Only the learning request's author may do this."), code="not_author"
        )


def _not_open() -> Conflict:
    return Conflict(gettext("This learning request is no longer open."), code="request_closed")


def _open_offers(request_id: uuid.UUID) -> Any:
    return LearningOffer.objects.filter(request_id=request_id, status=LearningOffer.Status.OPEN)


def _lock_request(request_id: uuid.UUID) -> LearningRequest:
    return LearningRequest.objects.select_for_update(of=("self",)).get(id=request_id)


_BUDGET_KEYS = ("budget_min", "budget_max", "currency")


def update_request(
    *, request: LearningRequest, actor_id: uuid.UUID, **changes: Any
) -> LearningRequest:
    """Edit one's own open request (the fields given; a budget key replaces the budget)."""
    _own_request(request, actor_id)
    clean = _clean_request_fields(changes)
    if any(key in changes for key in _BUDGET_KEYS):
        budget = {key: changes.get(key, getattr(request, key)) for key in _BUDGET_KEYS}
        clean.update(zip(_BUDGET_KEYS, _clean_budget(**budget), strict=True))
    with transaction.atomic():
        locked = _lock_request(request.id)
        if locked.status != LearningRequest.Status.OPEN:
            raise _not_open()
        if clean:
            LearningRequest.objects.filter(id=request.id).update(updated_at=timezone.now(), **clean)
    request.refresh_from_db()
    return request


def close_request(*, request: LearningRequest, actor_id: uuid.UUID) -> LearningRequest:
    """The author withdraws an open request; its open offers are declined."""
    _own_request(request, actor_id)
    with transaction.atomic():
        locked = _lock_request(request.id)
        if locked.status != LearningRequest.Status.OPEN:
            raise _not_open()
        now = timezone.now()
        LearningRequest.objects.filter(id=request.id).update(
            status=LearningRequest.Status.CLOSED, closed_at=now, updated_at=now
        )
        LearningOffer.objects.filter(
            request_id=request.id, status=LearningOffer.Status.OPEN
        ).update(status=LearningOffer.Status.DECLINED)
    request.refresh_from_db()
    return request


def _publish_matched(request: LearningRequest) -> None:
    """Tell the best-matching mentors of a new request: at most
    SOCIAL_LEARNING_MATCH_NOTIFY mentors, the top of the request's own match list as its author
    sees it, so one request costs a bounded fan-out however many teach the subject."""
    limit = settings.SOCIAL_LEARNING_MATCH_NOTIFY
    if limit <= 0:
        return
    author = UserRef.objects.filter(id=request.author_id).first()
    mentors = selectors.matching_mentors(
        request=request,
        viewer=author,
        first=limit,
        exclude_users=selectors.blocked_by_author(author_id=request.author_id),
    )
    recipients = list(
        mentors.order_by("-match_score", "-id").values_list("user_id", flat=True)[:limit]
    )
    publish_event(
        type="social.learning_request.matched",
        key=request.id,
        actor=request.author_id,
        data={
            "request_id": str(request.id),
            "student_id": str(request.author_id),
            "subject": request.subject,
            "language": request.language,
            "level": request.level,
            "recipient_ids": [str(r) for r in recipients],
        },
    )


# ---------------------------------------------------------------------------------------------
# Offers


def create_offer(
    *,
    request: LearningRequest,
    mentor_user_id: uuid.UUID,
    message: str | None,
    price: Decimal | None = None,
    currency: str | None = None,
) -> LearningOffer:
    """A mentor offers to teach: one open offer per mentor per request, on an open request
    that is not their own."""
    message = clean_text(message, field="message", limit=OFFER_MESSAGE_MAX, required=True)
    currency_message = gettext("A price needs a three-letter currency code (ISO 4217), e.g. EUR.")
    currency = clean_currency(currency, message=currency_message)
    if price is not None and not currency:
        raise ServiceError.for_field("currency", currency_message, code="currency_needed")
    if price is None:
        currency = ""
    _check_may_act(mentor_user_id)
    if request.author_id == mentor_user_id:
        raise Forbidden(
            gettext("You cannot offer on your own learning request."), code="own_request"
        )
    profile = selectors.my_profile(user_id=mentor_user_id)
    if selectors.blocked_between(a=mentor_user_id, b=request.author_id):
        raise Forbidden(
            gettext("You cannot offer when one of you has blocked the other."), code="blocked"
        )
    already = Conflict(
        gettext("You already have an open offer on this learning request."),
        code="already_offered",
    )
    try:
        with transaction.atomic():
            locked = _lock_request(request.id)
            if locked.status != LearningRequest.Status.OPEN:
                raise _not_open()
            if LearningOffer.objects.filter(
                request_id=request.id, mentor=profile, status=LearningOffer.Status.OPEN
            ).exists():
                raise already
            offer = LearningOffer.objects.create(
                request_id=request.id,
                mentor=profile,
                message=message,
                price=price,
                currency=currency,
            )
            publish_event(
                type="social.learning_request.offered",
                key=request.id,
                actor=mentor_user_id,
                data={
                    "request_id": str(request.id),
                    "offer_id": str(offer.id),
                    "subject": request.subject,
                    "student_id": str(request.author_id),
                    "mentor_id": str(profile.id),
                    "mentor_user_id": str(mentor_user_id),
                    "mentor_handle": profile.page.handle,
                    "recipient_ids": [str(request.author_id)],
                },
            )
    except IntegrityError as exc:  # the partial unique index, if the lock was ever bypassed
        raise already from exc
    return offer


def accept_offer(
    *, request: LearningRequest, offer_id: uuid.UUID, actor_id: uuid.UUID
) -> LearningOffer:
    """The author accepts one open offer: the direct conversation of the two is opened (or
    reused, through social.chat), the request closes as accepted, the other offers are
    declined, and the student may now review the mentor (selectors.interaction)."""
    from social.chat.services import start_direct

    _own_request(request, actor_id)
    _check_may_act(actor_id)
    missing = NotFound(gettext("No offer with this id on this request."), code="not_found")
    with transaction.atomic():
        locked = _lock_request(request.id)
        if locked.status != LearningRequest.Status.OPEN:
            raise _not_open()
        offer = (
            LearningOffer.objects.select_related("mentor")
            .filter(id=offer_id, request_id=request.id)
            .first()
        )
        if offer is None:
            raise missing
        if offer.status != LearningOffer.Status.OPEN:
            raise Conflict(gettext("This offer is no longer open."), code="offer_closed")
        # The student starts it: the mentor, who offered, must accept messages from them.
        conversation, _created = start_direct(actor_id=actor_id, user_id=offer.mentor.user_id)
        now = timezone.now()
        LearningOffer.objects.filter(
            request_id=request.id, status=LearningOffer.Status.OPEN
        ).exclude(id=offer.id).update(status=LearningOffer.Status.DECLINED)
        LearningOffer.objects.filter(id=offer.id).update(status=LearningOffer.Status.ACCEPTED)
        LearningRequest.objects.filter(id=request.id).update(
            status=LearningRequest.Status.ACCEPTED,
            closed_at=now,
            updated_at=now,
            conversation_id=conversation.id,
        )
    offer.refresh_from_db()
    request.refresh_from_db()
    return offer
