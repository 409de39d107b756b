from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from cotask_common.openapi import checked_text
from social.api import UserBrief
from social.core.validation import CURRENCY_SCHEMA, TAG_SCHEMA
from social.mentors.models import LearningRequest, MentorProfile, Review
from social.mentors.selectors import MatchReasons, match_reasons
from social.mentors.services import LANGUAGE_CODES, MAX_YEARS
from social.mentors.subjects import SUBJECTS, subject_names


class SubjectOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language")


def _tag() -> Any:
    return checked_text(TAG_SCHEMA, allow_blank=True, trim_whitespace=False)


def _currency() -> Any:
    # core.validation.clean_currency checks it (a blank one is none).
    return checked_text(CURRENCY_SCHEMA, required=False, allow_blank=True, trim_whitespace=False)


class ProfileInput(serializers.Serializer):
    subjects = serializers.ListField(
        # services._clean_codes checks the codes, with its own message.
        child=checked_text({"enum": sorted(SUBJECTS)}, max_length=40),
        min_length=1,
        help_text="Codes from `GET /api/social/mentors/subjects/` (at least one)",
    )
    # core.validation.clean_tags checks each tag, with its own message.
    tags = serializers.ListField(child=_tag(), required=False, default=list)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=8), help_text="ISO 639-1 codes, e.g. en, uk"
    )
    years_experience = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=MAX_YEARS
    )
    bio = serializers.CharField(required=False, allow_blank=True, default="")
    price_min = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    price_max = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    currency = checked_text(
        CURRENCY_SCHEMA, required=False, allow_blank=True, trim_whitespace=False, default=""
    )
    availability = serializers.CharField(required=False, allow_blank=True, default="")


class MentorPageBrief(serializers.Serializer):
    """A mentor's page, as the mentor list and reviews show it."""

    id = serializers.UUIDField()
    handle = serializers.CharField()
    name = serializers.CharField()
    avatar_id = serializers.UUIDField(allow_null=True)


class PriceOutput(serializers.Serializer):
    min = serializers.DecimalField(max_digits=10, decimal_places=2)
    max = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.CharField()


class RatingOutput(serializers.Serializer):
    average = serializers.FloatField(help_text="0 without reviews")
    count = serializers.IntegerField()
    distribution = serializers.DictField(
        child=serializers.IntegerField(), help_text='Reviews per rating, {"1": n, ..., "5": n}'
    )
    rank = serializers.FloatField(
        help_text="Bayesian rank (C*m + sum)/(C + count), m the mean of all reviews; the "
        "list's order"
    )


# One field of each kind the list fast path below formats as DRF would (time zone, ISO 8601,
# the decimal places): not bound to any serializer, only their `to_representation` is used.
_DATETIME = serializers.DateTimeField()
_PRICE = serializers.DecimalField(max_digits=10, decimal_places=2)


def _when(value: Any, zone: Any) -> str | None:
    """`_DATETIME.to_representation(value)` (ISO 8601 in the active time zone, UTC as `Z`) with
    the zone looked up once per list, not once per value."""
    if not value:
        return None
    if zone is None or not timezone.is_aware(value):
        return _DATETIME.to_representation(value)  # DRF's own path (a naive time, a format)
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _uuid(value: Any) -> str | None:
    return None if value is None else str(value)


def _strings(values: Any) -> list[str | None] | None:
    if values is None:
        return None
    return [None if v is None else str(v) for v in values]


def mentor_data(
    profile: MentorProfile, *, since: Any, names: dict[str, str] | None = None, zone: Any = None
) -> dict[str, Any]:
    """`MentorOutput`'s representation of `profile`, built directly: the same keys, order and
    values as its fields give (`test_mentor_output_fast.py` compares them), at a fraction of
    the CPU (issue 21: a page of 20 mentors cost ~2 ms in DRF's field machinery). `since`:
    the start of the active window (`SOCIAL_MENTOR_ACTIVE_DAYS` before now); `names`: the
    subjects' names translated so far, shared by the rows of one list; `zone`: the active time
    zone (`_output_zone()`), else each time is formatted by DRF's field."""
    if names is None:
        names = {}
    for code in profile.subjects:
        if code not in names:
            names[code] = str(SUBJECTS.get(code, code))
    page = profile.page
    price = None
    if profile.price_min is not None:
        price = {
            "min": _PRICE.to_representation(profile.price_min),
            "max": None
            if profile.price_max is None
            else _PRICE.to_representation(profile.price_max),
            "currency": str(profile.currency),
        }
    last_active = profile.last_active_at
    return {
        "id": _uuid(profile.id),
        "user_id": _uuid(profile.user_id),
        "page": None
        if page is None
        else {
            "id": _uuid(page.id),
            "handle": str(page.handle),
            "name": str(page.name),
            "avatar_id": _uuid(page.avatar_id),
        },
        "subjects": [{"code": c, "name": names[c]} for c in profile.subjects],
        "tags": _strings(profile.tags),
        "languages": _strings(profile.languages),
        "years_experience": int(profile.years_experience),
        "bio": str(profile.bio),
        "price": price,
        "availability": str(profile.availability),
        "last_active_at": _when(last_active, zone),
        "active": last_active is not None and last_active >= since,
        "rating": {
            "average": round(profile.average, 2),
            "count": profile.reviews_count,
            "distribution": {str(i): getattr(profile, f"rating_{i}") for i in range(1, 6)},
            "rank": profile.rank,
        },
        "created_at": _when(profile.created_at, zone),
    }


def _output_zone() -> Any:
    """The zone DRF's DateTimeField writes times in (`default_timezone`), when it writes ISO 8601;
    else None (each time through the field)."""
    if str(getattr(_DATETIME, "format", api_settings.DATETIME_FORMAT)).lower() != ISO_8601:
        return None
    return _DATETIME.default_timezone()


def active_since() -> Any:
    """The start of the window in which a mentor counts as active."""
    return timezone.now() - timedelta(days=settings.SOCIAL_MENTOR_ACTIVE_DAYS)


class MentorListOutput(serializers.ListSerializer):
    """A list of `MentorOutput`: every row through `mentor_data` (the schema still comes from
    `MentorOutput`'s fields)."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        since, names, zone = active_since(), dict(subject_names()), _output_zone()
        return [
            mentor_data(profile, since=since, names=names, zone=zone) for profile in _rows(data)
        ]


def _rows(data: Any) -> Any:
    return data.all() if hasattr(data, "all") else data


class MentorOutput(serializers.Serializer):
    class Meta:
        list_serializer_class = MentorListOutput

    id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    page = MentorPageBrief()
    subjects = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    years_experience = serializers.IntegerField()
    bio = serializers.CharField()
    price = serializers.SerializerMethodField()
    availability = serializers.CharField()
    last_active_at = serializers.DateTimeField(allow_null=True)
    active = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(SubjectOutput(many=True))
    def get_subjects(self, profile: MentorProfile) -> list[dict[str, str]]:
        return [{"code": c, "name": str(SUBJECTS.get(c, c))} for c in profile.subjects]

    @extend_schema_field(PriceOutput(allow_null=True))
    def get_price(self, profile: MentorProfile) -> dict[str, Any] | None:
        if profile.price_min is None:
            return None
        return PriceOutput(
            {"min": profile.price_min, "max": profile.price_max, "currency": profile.currency}
        ).data

    @extend_schema_field(serializers.BooleanField())
    def get_active(self, profile: MentorProfile) -> bool:
        since = active_since()
        return profile.last_active_at is not None and profile.last_active_at >= since

    @extend_schema_field(RatingOutput())
    def get_rating(self, profile: MentorProfile) -> dict[str, Any]:
        return {
            "average": round(profile.average, 2),
            "count": profile.reviews_count,
            "distribution": {str(i): getattr(profile, f"rating_{i}") for i in range(1, 6)},
            "rank": profile.rank,
        }


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 5})
class RatingField(serializers.JSONField):
    """A whole number of stars, 1 to 5: any JSON value comes in and the service checks it (a
    400 naming `rating`), so 6 and "five" get the same message; the document says what is
    accepted."""


class ReviewInput(serializers.Serializer):
    rating = RatingField()
    text = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewEditInput(serializers.Serializer):
    rating = RatingField(required=False)
    text = serializers.CharField(required=False, allow_blank=True)


class AnswerInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)


class RemoveInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class MentorBrief(serializers.Serializer):
    id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    page = MentorPageBrief()


class ReviewOutput(serializers.Serializer):
    id = serializers.UUIDField()
    mentor = MentorBrief()
    student = UserBrief()
    rating = serializers.IntegerField()
    text = serializers.CharField()
    interaction = serializers.ChoiceField(choices=Review.Interaction.choices)
    answer = serializers.CharField(help_text="The mentor's answer; empty until they answer")
    answered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    removed_at = serializers.DateTimeField(
        allow_null=True, help_text="Set when a moderator removed it (only its author sees it)"
    )
    removed_reason = serializers.CharField(help_text="The moderator's reason, for the author")


# ---------------------------------------------------------------------------------------------
# Learning requests


class RequestInput(serializers.Serializer):
    # Codes and choices are checked by the service (a 400 naming the field).
    subject = serializers.CharField(help_text="A code from `GET /api/social/mentors/subjects/`")
    tags = serializers.ListField(child=_tag(), required=False, help_text="Categories, free tags")
    requirements = serializers.CharField(required=False, allow_blank=True)
    level = checked_text(
        {"type": "string", "enum": list(LearningRequest.Level.values)},
        required=False,
        help_text="beginner, intermediate, advanced",
    )
    language = checked_text(
        {"type": "string", "enum": sorted(LANGUAGE_CODES)},
        help_text="ISO 639-1 code of the lessons' language",
    )
    budget_min = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    budget_max = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    currency = _currency()
    deadline = serializers.DateField(required=False, allow_null=True)
    visibility = checked_text(
        {"type": "string", "enum": list(LearningRequest.Visibility.values)},
        required=False,
        help_text="public, followers, private",
    )


class BudgetOutput(serializers.Serializer):
    min = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    max = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    currency = serializers.CharField()


class RequestOutput(serializers.Serializer):
    id = serializers.UUIDField()
    author = UserBrief()
    subject = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField())
    requirements = serializers.CharField()
    level = serializers.CharField()
    language = serializers.CharField()
    budget = serializers.SerializerMethodField()
    deadline = serializers.DateField(allow_null=True)
    visibility = serializers.CharField()
    status = serializers.CharField(help_text="open, accepted (an offer was), closed (withdrawn)")
    conversation_id = serializers.UUIDField(
        allow_null=True, help_text="The direct conversation opened by the accepted offer"
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(SubjectOutput())
    def get_subject(self, request: Any) -> dict[str, str]:
        return {
            "code": request.subject,
            "name": str(SUBJECTS.get(request.subject, request.subject)),
        }

    @extend_schema_field(BudgetOutput(allow_null=True))
    def get_budget(self, request: Any) -> dict[str, Any] | None:
        if request.budget_min is None and request.budget_max is None:
            return None
        return BudgetOutput(
            {"min": request.budget_min, "max": request.budget_max, "currency": request.currency}
        ).data


class ReasonOutput(serializers.Serializer):
    code = serializers.CharField(help_text="subject, tags, language, rating or experience")
    text = serializers.CharField(help_text="In the request's language")


class MatchListOutput(serializers.ListSerializer):
    """A list of `MatchOutput`, built directly (`mentor_data`, `match_reasons`), as
    `MentorListOutput` is."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        since, names, zone = active_since(), dict(subject_names()), _output_zone()
        reasons = MatchReasons(self.context["learning_request"])
        return [
            {
                "mentor": mentor_data(profile, since=since, names=names, zone=zone),
                "score": float(profile.match_score),
                "reasons": reasons(profile),
            }
            for profile in _rows(data)
        ]


class MatchOutput(serializers.Serializer):
    class Meta:
        list_serializer_class = MatchListOutput

    mentor = MentorOutput(source="*")
    score = serializers.FloatField(source="match_score")
    reasons = serializers.SerializerMethodField()

    @extend_schema_field(ReasonOutput(many=True))
    def get_reasons(self, profile: Any) -> list[dict[str, str]]:
        return match_reasons(profile=profile, request=self.context["learning_request"])


class OfferInput(serializers.Serializer):
    message = checked_text({"pattern": r"\S"}, allow_blank=True)  # the service: not blank
    price = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    currency = _currency()


class OfferOutput(serializers.Serializer):
    id = serializers.UUIDField()
    request_id = serializers.UUIDField()
    mentor = MentorBrief()
    message = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    status = serializers.CharField(help_text="open, accepted, declined")
    created_at = serializers.DateTimeField()
