"""notifications-service settings: the shared base plus Channels (ASGI, websockets)."""

from pathlib import Path
from typing import TYPE_CHECKING

from cotask_common.env import env_int, env_str
from cotask_common.settings import build_settings

if TYPE_CHECKING:  # the names build_settings() sets, typed for mypy (see the module)
    from cotask_common.settings_names import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    build_settings(
        service="notifications",
        base_dir=BASE_DIR,
        extra_apps=["channels"],
        local_apps=[
            "notifications.realtime",
            "notifications.inbox",
            "notifications.rooms",
            "notifications.habits",
            "notifications.chat",
        ],
        title="CoTask notifications API",
        description="Stored notifications, preferences, email and realtime push.",
    )
)

ASGI_APPLICATION = "config.asgi.application"

# Redis in production so every process sees every group. In the embedded default a SQLite file
# under var/ carries the messages between the processes `make run` starts (the event consumer
# pushes, the ASGI process holds the sockets), with no server (notifications/realtime/layers.py).
# The Redis layer is channels-redis's with a bounded, blocking pool and read timeouts above its
# blocking reads.
_CHANNELS_REDIS_URL = env_str("CHANNELS_REDIS_URL", env_str("REDIS_URL"))
CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "notifications.realtime.layers.RedisChannelLayer",
            "CONFIG": {
                "hosts": [_CHANNELS_REDIS_URL],
                "prefix": "cotask:channels",
                # Redis connections per process and event loop; commands wait for a free one.
                "pool_size": env_int("NOTIFICATIONS_CHANNELS_POOL_SIZE", 50),
                "pool_timeout": env_int("NOTIFICATIONS_CHANNELS_POOL_TIMEOUT_SECONDS", 10),
            },
        }
        if _CHANNELS_REDIS_URL
        else {
            "BACKEND": "notifications.realtime.layers.SQLiteChannelLayer",
            "CONFIG": {"path": str(COTASK_VAR_DIR / "notifications-channels.sqlite3")},  # noqa: F405
        }
    )
}

# Notifications (docs: README, "notifications-service").
NOTIFICATIONS_WS_TICKET_TTL_SECONDS = env_int("NOTIFICATIONS_WS_TICKET_TTL_SECONDS", 30)
# Tickets one account may get ("<count>/<s|m|h|d>"; empty: no limit). A client needs one per
# (re)connect; 30 a minute leaves room for flaky networks and many tabs.
NOTIFICATIONS_WS_TICKET_RATE = env_str("NOTIFICATIONS_WS_TICKET_RATE", "30/m")
NOTIFICATIONS_WS_HEARTBEAT_SECONDS = env_int("NOTIFICATIONS_WS_HEARTBEAT_SECONDS", 25)
# A reconnect that missed more than this gets `resync` (reload over REST) instead of a replay.
NOTIFICATIONS_WS_REPLAY_LIMIT = env_int("NOTIFICATIONS_WS_REPLAY_LIMIT", 500)
# Bursts on one target within this window (while unread) fold into one notification.
NOTIFICATIONS_GROUP_WINDOW_SECONDS = env_int("NOTIFICATIONS_GROUP_WINDOW_SECONDS", 24 * 3600)
# Days an (event, recipient) key is kept to refuse a redelivered event (Celery beat deletes
# older ones every 6 hours); the consumer keeps its processed events 30 days.
NOTIFICATIONS_DELIVERY_RETENTION_DAYS = env_int("NOTIFICATIONS_DELIVERY_RETENTION_DAYS", 30)
# Hours a chat frame (social-service's chat events, one per member) is kept for the socket's
# cursor replay; a client away longer reloads the conversations over REST.
NOTIFICATIONS_CHAT_FRAME_RETENTION_HOURS = env_int("NOTIFICATIONS_CHAT_FRAME_RETENTION_HOURS", 72)
# `typing` frames one socket may send per conversation: at most one per this many seconds
# (more are dropped silently; typing is ephemeral and never stored).
NOTIFICATIONS_CHAT_TYPING_INTERVAL_SECONDS = env_int(
    "NOTIFICATIONS_CHAT_TYPING_INTERVAL_SECONDS", 2
)
# New-post digests for "immediate" users at most this often; "daily" users once a day.
NOTIFICATIONS_DIGEST_SECONDS = env_int("NOTIFICATIONS_DIGEST_SECONDS", 3600)
NOTIFICATIONS_DAILY_DIGEST_SECONDS = env_int("NOTIFICATIONS_DAILY_DIGEST_SECONDS", 24 * 3600)
# Where the links people follow in emails point: the gateway, which serves the unsubscribe page
# at /unsubscribe, or a web client that takes the links over.
EMAIL_LINK_BASE_URL = env_str("EMAIL_LINK_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
# The gateway's public address, for the RFC 8058 one-click unsubscribe API in the
# List-Unsubscribe header (mail clients POST there, never a web client).
NOTIFICATIONS_PUBLIC_URL = env_str("NOTIFICATIONS_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/")
# django-ses (EMAIL_BACKEND=django_ses.SESBackend) reads its region from here.
AWS_SES_REGION_NAME = env_str("AWS_SES_REGION_NAME", "eu-west-1")
AWS_SES_REGION_ENDPOINT = env_str(
    "AWS_SES_REGION_ENDPOINT", f"email.{AWS_SES_REGION_NAME}.amazonaws.com"
)

CELERY_BEAT_SCHEDULE.update(  # noqa: F405 - from build_settings
    {
        "notifications-digests": {"task": "notifications.send_digests", "schedule": 300.0},
        # Chat messages still unread after the person's delay (at least 15 minutes).
        "notifications-unread-emails": {
            "task": "notifications.send_unread_emails",
            "schedule": 60.0,
        },
        "notifications-cleanup-ws-tickets": {
            "task": "notifications.cleanup_ws_tickets",
            "schedule": 600.0,
        },
        "notifications-cleanup-chat": {"task": "notifications.cleanup_chat", "schedule": 3600.0},
        "notifications-cleanup-deliveries": {
            "task": "notifications.cleanup_deliveries",
            "schedule": 6 * 3600.0,
        },
    }
)
