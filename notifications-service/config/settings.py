"""notifications-service settings: the shared base plus Channels (ASGI, websockets)."""

from pathlib import Path

from cotask_common.env import env_str
from cotask_common.settings import build_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    build_settings(
        service="notifications",
        base_dir=BASE_DIR,
        extra_apps=["channels"],
        local_apps=["notifications.realtime"],
        title="CoTask notifications API",
        description="Stored notifications, preferences, email and realtime push.",
    )
)

ASGI_APPLICATION = "config.asgi.application"

# Redis in production so every process sees every group; in-memory in the embedded default.
_CHANNELS_REDIS_URL = env_str("CHANNELS_REDIS_URL", env_str("REDIS_URL"))
CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [_CHANNELS_REDIS_URL], "prefix": "cotask:channels"},
        }
        if _CHANNELS_REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}
