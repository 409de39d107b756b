"""Stored notifications, who receives them (a local projection of accounts), and preferences."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from cotask_common.ids import uuid7
from cotask_common.roles import Role


class EmailFrequency(models.TextChoices):
    OFF = "off", "off"
    IMMEDIATE = "immediate", "immediate"
    DAILY = "daily", "daily"


# The delays a person may choose for the email about chat messages still unread (minutes).
CHAT_EMAIL_DELAYS = (15, 60, 240, 1440)


class Recipient(models.Model):
    """One row per person who may be notified.

    The account fields (username, email, language) are a local projection of `auth.user.*`
    events: the shared UserRef has no email or language, and only this service needs them.
    `last_sequence` is the per-user counter that orders notifications and is the websocket
    cursor; incrementing it under a row lock is what makes the cursor monotonic per user.
    """

    id = models.UUIDField(primary_key=True)
    username = models.CharField(max_length=150, blank=True, default="")
    display_name = models.CharField(max_length=150, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    email_verified = models.BooleanField(default=False)
    language = models.CharField(max_length=8, default="en")
    is_deleted = models.BooleanField(default=False)
    # The user's own choice (not from events).
    email_frequency = models.CharField(
        max_length=16, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATE
    )
    last_sequence = models.BigIntegerField(default=0)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    # Minutes chat messages may stay unread before the one email about them (CHAT_EMAIL_DELAYS).
    chat_email_delay_minutes = models.PositiveIntegerField(default=60)
    # The occurred_at of the newest auth event applied, so an older event never wins.
    source_version = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.username or str(self.id)

    @property
    def name(self) -> str:
        return self.display_name or self.username


class EmailState(models.TextChoices):
    NONE = "none", "not emailed"
    PENDING = "pending", "waiting for the digest"
    WAITING = "waiting", "waiting until still unread after the person's delay (chat)"
    QUEUED = "queued", "queued for sending"
    SENT = "sent", "sent"


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="+")
    # Per-recipient position: bumped when a grouped notification gains an actor, so the list
    # (ordered by it) and the websocket replay both show the newest state once.
    sequence = models.BigIntegerField()
    type = models.CharField(max_length=64)
    actor_id = models.UUIDField(null=True, blank=True)
    actor_name = models.CharField(max_length=150, blank=True, default="")
    actor_count = models.PositiveIntegerField(default=1)
    target_service = models.CharField(max_length=32, blank=True, default="")
    target_kind = models.CharField(max_length=32, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    # Bursts on one target are folded into one row while it is unread (see services.GROUP_WINDOW).
    group_key = models.CharField(max_length=200, blank=True, default="")
    text = models.CharField(max_length=500)
    language = models.CharField(max_length=8, default="en")
    data = models.JSONField(default=dict, blank=True)
    # False when the user switched the in-app channel off for the type: kept only to be emailed.
    in_app = models.BooleanField(default=True)
    realtime = models.BooleanField(default=True)
    email_state = models.CharField(
        max_length=16, choices=EmailState.choices, default=EmailState.NONE
    )
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "sequence"], name="notification_recipient_sequence"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "group_key"],
                name="notification_unread_group_idx",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(
                fields=["recipient", "sequence"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True, in_app=True),
            ),
            models.Index(
                fields=["email_state", "recipient"],
                name="notification_digest_idx",
                condition=models.Q(email_state="pending"),
            ),
            # The unread-messages email's beat pass: the few notifications waiting for it.
            models.Index(
                fields=["created_at", "recipient"],
                name="notification_waiting_idx",
                condition=models.Q(email_state="waiting"),
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(models.Model):
    """Which notification an event made for a recipient: the (event id, recipient) idempotency
    key, independent of the consumer's ProcessedEvent table (a handler run twice by hand, or two
    event types mapping onto one person, still notify once)."""

    event_id = models.UUIDField()
    recipient_id = models.UUIDField()
    notification_id = models.UUIDField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "recipient_id"], name="delivery_event_recipient"
            )
        ]
        # The cleanup's query: rows past NOTIFICATIONS_DELIVERY_RETENTION_DAYS.
        indexes = [models.Index(fields=["created_at"], name="delivery_created_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.recipient_id}"


# The channels a notification can take; each is a boolean field of Preference.
CHANNELS = ("in_app", "realtime", "email")


class Preference(models.Model):
    """A user's choice for one notification type; absent rows mean the type's defaults."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=64)
    in_app = models.BooleanField(default=True)
    realtime = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "type"], name="preference_type")
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.type}"


class PageSubscription(models.Model):
    """New-post alerts for one page: only pages the user asked for are notified."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="+")
    page_id = models.UUIDField()
    page_name = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "page_id"], name="page_subscription")
        ]
        indexes = [models.Index(fields=["page_id"], name="page_subscription_page_idx")]

    def __str__(self) -> str:
        return f"{self.recipient_id} -> {self.page_id}"


class PageFollow(models.Model):
    """Who follows which page, as social-service announces it (`social.follow.*`,
    `social.page.user_blocked`, `social.page.deleted`): the projection a new-post alert is
    checked against, when it is asked for and again when a post is announced.

    A row is kept when the follow ends (`active` false) so that an older event arriving late
    (a follow's events are keyed by the follow id, so a re-follow's events may overtake the old
    follow's end) never brings back what a newer one ended: `source_version` is the
    `occurred_at` of the newest event applied.
    """

    page_id = models.UUIDField()
    user_id = models.UUIDField()
    active = models.BooleanField(default=False)
    page_name = models.CharField(max_length=200, blank=True, default="")
    source_version = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page_id", "user_id"], name="page_follow_unique")
        ]
        indexes = [models.Index(fields=["user_id"], name="page_follow_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.page_id} ({'active' if self.active else 'ended'})"


class WsTicket(models.Model):
    """A short-lived single-use websocket ticket; only its SHA-256 is stored.

    It carries the session of the access token that asked for it (`sid`) and that token's
    expiry: the socket it opens belongs to that session and closes when the session ends or the
    token expires (unless the client sends a newer token of the same session)."""

    digest = models.CharField(max_length=64, primary_key=True)
    user_id = models.UUIDField()
    username = models.CharField(max_length=150, blank=True, default="")
    role = models.CharField(max_length=16, default=Role.USER)
    expires_at = models.DateTimeField(db_index=True)
    session_id = models.CharField(max_length=64, blank=True, default="")
    access_expires_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    # The asking token's `lang` claim: the language the socket speaks (empty: none claimed).
    language = models.CharField(max_length=8, blank=True, default="")

    def __str__(self) -> str:
        return f"ticket for {self.user_id}"


class EndedSession(models.Model):
    """A session auth-service ended (`auth.session.revoked`): its access tokens, tickets and
    sockets are refused here although the tokens still verify until they expire. Kept a day,
    far longer than an access token lives."""

    session_id = models.CharField(max_length=64, primary_key=True)
    user_id = models.UUIDField(db_index=True)
    ended_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"session {self.session_id} ended"


class SocketCutoff(models.Model):
    """The account changed (password, ban, deletion, deactivation): tickets issued and access
    tokens signed before `not_before` open no socket, whatever their session."""

    user_id = models.UUIDField(primary_key=True)
    not_before = models.DateTimeField()

    def __str__(self) -> str:
        return f"sockets of {self.user_id} from {self.not_before}"
