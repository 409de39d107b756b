"""Progress posts: a person's choice of what to share (off by default), their followers' mutes,
and what makes the posts idempotent per event."""

from __future__ import annotations

from django.db import models

from cotask_common.users.models import UserRef
from social.posts.models import Post

# The kinds a person opts into, one flag each (`ProgressSettings`), and a card's `kind`.
KINDS = (
    "task_completed",
    "streak_milestone",
    "cards_daily",
    "cards_weekly",
    "plan_accepted",
    "room_milestone",
)


class ProgressSettings(models.Model):
    """One row per person who opted into anything or whose language social learned."""

    user = models.OneToOneField(
        UserRef, primary_key=True, on_delete=models.CASCADE, related_name="progress_settings"
    )
    task_completed = models.BooleanField(default=False)
    streak_milestone = models.BooleanField(default=False)
    cards_daily = models.BooleanField(default=False)
    cards_weekly = models.BooleanField(default=False)
    plan_accepted = models.BooleanField(default=False)
    room_milestone = models.BooleanField(default=False, db_default=False)
    # The account's language (auth events; else the token's `lang` claim when the person last
    # changed these settings): the posts are written in it.
    language = models.CharField(max_length=8, default="en")
    # The `occurred_at` of the auth event that set `language`, so an older one never wins.
    language_version = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"progress settings of {self.user_id}"


class ProgressMute(models.Model):
    """`user` no longer sees `person`'s progress posts in their home feed."""

    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="progress_mutes")
    person = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "person"], name="progressmute_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} mutes {self.person_id}"


class ProgressSource(models.Model):
    """The event (or event and kind) a progress post was made from: a redelivered event finds
    its row and makes no second post."""

    key = models.CharField(max_length=80, primary_key=True)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class CardsDay(models.Model):
    """A study day's figures, kept for people who share a weekly cards summary."""

    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    reviews = models.PositiveIntegerField()
    duration_ms = models.PositiveBigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="cardsday_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"
