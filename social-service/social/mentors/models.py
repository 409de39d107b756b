"""Mentor profiles (one per person, shown with their personal page), their subjects and
languages as rows (so the list filters through an index, on SQLite too), reviews, and the
review aggregate kept on the profile row.

The aggregate (`reviews_count`, `rating_sum`, `rating_1`..`rating_5`, `rank`) changes only in
`services._refresh_aggregate`, inside the review's transaction, under a row lock on the
profile: concurrent reviews of one mentor queue there, so it always equals a recount."""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef
from social.pages.models import Page


class MentorProfile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.OneToOneField(UserRef, on_delete=models.CASCADE, related_name="mentor_profile")
    # The personal page the profile is shown with: its handle names the mentor, and its
    # moderation state (blocked, owner banned) hides the mentor as it hides the page.
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    subjects = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    years_experience = models.PositiveSmallIntegerField(default=0)
    bio = models.TextField(blank=True, default="")
    price_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    price_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    availability = models.TextField(blank=True, default="")
    # Set by `DELETE /mentors/me/`: the mentor leaves the lists and takes no new reviews; the
    # reviews and the aggregate stay, and come back when the profile is set up again.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The last post, review answer or chat message (services.touch_activity).
    last_active_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # What search matches (services.search_text): the names, bio, tags and the subjects in
    # en/ru/uk. On PostgreSQL a generated `search_vector` column over it, with a GIN index, is
    # added by social.search's migration (SQLite searches this text by containment).
    search_text = models.TextField(blank=True, default="", db_default="")

    reviews_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_1 = models.PositiveIntegerField(default=0)
    rating_2 = models.PositiveIntegerField(default=0)
    rating_3 = models.PositiveIntegerField(default=0)
    rating_4 = models.PositiveIntegerField(default=0)
    rating_5 = models.PositiveIntegerField(default=0)
    average = models.FloatField(default=0)
    # (C*m + sum) / (C + n): the Bayesian rank the list sorts by (services.bayesian_rank).
    rank = models.FloatField(default=0, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"mentor {self.user_id}"


class MentorSubject(models.Model):
    profile = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=40)
    # The profile's `selectors.match_base` (rank + experience), copied here in the same
    # transaction as every change of its parts (services.sync_match_base), so a request's
    # matching reads a subject's mentors best-first from the index (docs/decisions.md).
    base_score = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "profile"], name="mentorsubject_unique")
        ]
        indexes = [models.Index(fields=["code", "-base_score"], name="mentorsubject_base_idx")]

    def __str__(self) -> str:
        return self.code


class MentorLanguage(models.Model):
    profile = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=8)
    # As MentorSubject.base_score: the speakers of a language, best-first.
    base_score = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "profile"], name="mentorlanguage_unique")
        ]
        indexes = [models.Index(fields=["code", "-base_score"], name="mentorlanguage_base_idx")]

    def __str__(self) -> str:
        return self.code


class MentorSubjectLanguage(models.Model):
    """One row per (subject, language) pair of a profile, with its `base_score` and tags: the
    speakers of the request's language among a subject's mentors, best-first, are one index
    range, so the matching's candidates are read without a probe per mentor (hot_sql,
    docs/decisions.md). Written with the subject and language rows (services.set_profile,
    services.sync_match_base)."""

    profile = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=40)
    language = models.CharField(max_length=8)
    base_score = models.FloatField(default=0)
    # The profile's tags (the score's tag part), copied as `set_profile` writes them.
    tags = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "language", "profile"], name="mentorsubjlang_unique"
            )
        ]
        indexes = [
            # covering (PostgreSQL): the candidates' range is read from the index alone
            models.Index(
                fields=["subject", "language", "-base_score"],
                include=["profile", "tags"],
                name="mentorsubjlang_base_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject}/{self.language}"


class RatingTotals(models.Model):
    """One row (id 1): every live review's count and sum, for the prior `m` of the rank."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    reviews_count = models.PositiveBigIntegerField(default=0)
    rating_sum = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.reviews_count} reviews"


class Review(models.Model):
    class Interaction(models.TextChoices):
        # A direct conversation in which the mentor sent at least one message.
        CONVERSATION = "conversation"
        # The mentor's offer on one of the student's learning requests was accepted.
        LEARNING_REQUEST = "learning_request"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    mentor = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="reviews")
    student = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True, default="")
    # What made the review allowed (checked when it was written).
    interaction = models.CharField(max_length=32, choices=Interaction.choices)
    answer = models.TextField(blank=True, default="")
    answered_at = models.DateTimeField(null=True, blank=True)
    # Removed by a moderator: out of the lists and the aggregate; its author still sees it,
    # with the reason.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.TextField(blank=True, default="")
    removed_by = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mentor", "student"], name="review_one_per_student"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_5"
            ),
        ]
        indexes = [
            models.Index(
                fields=["mentor", "-id"],
                name="review_mentor_idx",
                condition=models.Q(removed_at__isnull=True),
            ),
            models.Index(
                fields=["-id"],
                name="review_best_idx",
                condition=models.Q(removed_at__isnull=True, rating__gte=4),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}* by {self.student_id} for {self.mentor_id}"


class LearningRequest(models.Model):
    """A student's request for a mentor (issue 21). Who sees it: see selectors.request_for."""

    class Level(models.TextChoices):
        BEGINNER = "beginner"
        INTERMEDIATE = "intermediate"
        ADVANCED = "advanced"

    class Visibility(models.TextChoices):
        # Anyone, as a public page's posts.
        PUBLIC = "public"
        # The approved followers of the author's personal page, as a private page's posts.
        FOLLOWERS = "followers"
        # Only the mentors it is meant for (those teaching its subject, or who offered).
        PRIVATE = "private"

    class Status(models.TextChoices):
        OPEN = "open"
        # An offer was accepted (`accepted_offer`); the conversation is `conversation_id`.
        ACCEPTED = "accepted"
        # The author closed (withdrew) it.
        CLOSED = "closed"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    author = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=40)
    tags = models.JSONField(default=list, blank=True)
    requirements = models.TextField(blank=True, default="")
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.BEGINNER)
    language = models.CharField(max_length=8)
    budget_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    budget_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    deadline = models.DateField(null=True, blank=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    conversation_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"], name="learnreq_author_idx"),
            # The mentors' list: open requests of one subject, newest first.
            models.Index(
                fields=["subject", "-id"],
                name="learnreq_open_subject_idx",
                condition=models.Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} by {self.author_id} ({self.status})"


class LearningOffer(models.Model):
    """A mentor's offer on a learning request: one open offer per mentor per request."""

    class Status(models.TextChoices):
        OPEN = "open"
        ACCEPTED = "accepted"
        # Another offer was accepted, or the request was closed.
        DECLINED = "declined"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    request = models.ForeignKey(LearningRequest, on_delete=models.CASCADE, related_name="offers")
    mentor = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="+")
    message = models.TextField()
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "mentor"],
                name="learnoffer_one_open",
                condition=models.Q(status="open"),
            )
        ]
        indexes = [
            models.Index(fields=["request", "-id"], name="learnoffer_request_idx"),
            models.Index(fields=["mentor", "status"], name="learnoffer_mentor_idx"),
        ]

    def __str__(self) -> str:
        return f"offer by {self.mentor_id} on {self.request_id} ({self.status})"
