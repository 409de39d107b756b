"""social-service settings: the shared base plus what is this service's own."""

from pathlib import Path
from typing import TYPE_CHECKING

from cotask_common.env import env_int, env_str
from cotask_common.settings import build_settings

if TYPE_CHECKING:  # the names build_settings() sets, typed for mypy (see the module)
    from cotask_common.settings_names import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    build_settings(
        service="social",
        base_dir=BASE_DIR,
        local_apps=[
            "social.pages",
            "social.posts",
            "social.progress",
            "social.feed",
            "social.moderation",
            "social.search",
            "social.chat",
            "social.mentors",
        ],
        title="CoTask social API",
        description=(
            "Pages, follows, posts, comments, likes, the feed, search, moderation, chat, mentors."
        ),
    )
)

# Posts and comments.
SOCIAL_POST_MAX_LENGTH = env_int("SOCIAL_POST_MAX_LENGTH", 2000)
SOCIAL_COMMENT_MAX_LENGTH = env_int("SOCIAL_COMMENT_MAX_LENGTH", 1000)
SOCIAL_POST_MAX_TAGS = env_int("SOCIAL_POST_MAX_TAGS", 10)
SOCIAL_POST_MAX_MEDIA = env_int("SOCIAL_POST_MAX_MEDIA", 10)

# The home feed. Timelines live in Redis sorted sets when REDIS_URL is set ("redis"), in a table
# otherwise ("table"); SOCIAL_FEED_BACKEND overrides the choice.
SOCIAL_FEED_BACKEND = env_str("SOCIAL_FEED_BACKEND", "redis" if env_str("REDIS_URL") else "table")
SOCIAL_FEED_REDIS_URL = env_str("SOCIAL_FEED_REDIS_URL", env_str("REDIS_URL"))
SOCIAL_FEED_KEY_PREFIX = env_str("SOCIAL_FEED_KEY_PREFIX", "social:tl:")
# Newest entries kept per timeline; older pages of the feed are read from the database.
SOCIAL_FEED_TIMELINE_SIZE = env_int("SOCIAL_FEED_TIMELINE_SIZE", 800)
# Pages with more approved followers than this are not fanned out; their posts are read from
# the database when a follower reads the feed (the hybrid). Pushing one post costs about 30 µs
# per timeline (bench/social_feed.py), so 20,000 followers is well under a second of fan-out.
SOCIAL_FEED_FANOUT_MAX_FOLLOWERS = env_int("SOCIAL_FEED_FANOUT_MAX_FOLLOWERS", 20000)
# Seconds a post's or page's rendered card (feed/cards.py) may stay in Redis; writes drop the
# cards they change at once, this only bounds what a race could leave stale.
SOCIAL_FEED_CARD_TTL = env_int("SOCIAL_FEED_CARD_TTL", 600)
# A user who has not read the feed for this long gets no fan-out; the timeline is rebuilt on
# their next read.
SOCIAL_FEED_INACTIVE_DAYS = env_int("SOCIAL_FEED_INACTIVE_DAYS", 14)
# How many recent posts of a page are merged into a timeline when its follow starts.
SOCIAL_FEED_FOLLOW_MERGE = env_int("SOCIAL_FEED_FOLLOW_MERGE", 50)
# "async": fan-out runs in a Celery task after commit; "sync": inside the request (tests).
SOCIAL_FEED_FANOUT_MODE = env_str("SOCIAL_FEED_FANOUT_MODE", "async")
# The popular feed: posts of the last N hours ranked by likes and comments with time decay.
SOCIAL_POPULAR_WINDOW_HOURS = env_int("SOCIAL_POPULAR_WINDOW_HOURS", 72)

# Search without signing in: at most this many requests per client address ("30/m", "100/15m";
# empty: no limit). Counted in the shared cache; the address is the gateway's X-Forwarded-For
# (SOCIAL_TRUSTED_PROXIES proxies in front, 1: nginx).
SOCIAL_SEARCH_ANON_RATE = env_str("SOCIAL_SEARCH_ANON_RATE", "30/m")
REST_FRAMEWORK["NUM_PROXIES"] = env_int("SOCIAL_TRUSTED_PROXIES", 1)  # noqa: F405

# Moderation: the longest block a moderator may set (admins may block permanently).
SOCIAL_MODERATOR_MAX_BLOCK_DAYS = env_int("SOCIAL_MODERATOR_MAX_BLOCK_DAYS", 30)

# Chat (social/chat): the longest message, files per message, members per group, and how many
# messages one person may send ("<count>/<period>"; empty: no limit), counted in the shared cache.
SOCIAL_CHAT_MESSAGE_MAX_LENGTH = env_int("SOCIAL_CHAT_MESSAGE_MAX_LENGTH", 4000)
SOCIAL_CHAT_MAX_ATTACHMENTS = env_int("SOCIAL_CHAT_MAX_ATTACHMENTS", 10)
SOCIAL_CHAT_GROUP_MAX_MEMBERS = env_int("SOCIAL_CHAT_GROUP_MAX_MEMBERS", 500)
SOCIAL_CHAT_MESSAGE_RATE = env_str("SOCIAL_CHAT_MESSAGE_RATE", "60/m")

# Mentors (social/mentors): C, the weight of the prior (the mean of all reviews) in a mentor's
# Bayesian rank (C*m + sum)/(C + n): a mentor needs about C reviews before their own mean
# outweighs everyone's. Active = posted, answered a review or sent a chat message in the last
# SOCIAL_MENTOR_ACTIVE_DAYS days.
SOCIAL_MENTOR_RANK_PRIOR_WEIGHT = env_int("SOCIAL_MENTOR_RANK_PRIOR_WEIGHT", 10)
SOCIAL_MENTOR_ACTIVE_DAYS = env_int("SOCIAL_MENTOR_ACTIVE_DAYS", 30)
SOCIAL_MENTOR_REVIEW_MAX_LENGTH = env_int("SOCIAL_MENTOR_REVIEW_MAX_LENGTH", 2000)
# A new learning request tells at most this many mentors, the top of its match list: the
# fan-out of one request stays bounded however many mentors teach the subject.
SOCIAL_LEARNING_MATCH_NOTIFY = env_int("SOCIAL_LEARNING_MATCH_NOTIFY", 50)

# Django admin: staff accounts named like a CoTask moderator/admin moderate as that account
# (social/moderation/admin_access.py).
AUTHENTICATION_BACKENDS = ["social.moderation.admin_access.ModeratorAdminBackend"]

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,  # noqa: F405
    "social-end-expired-blocks": {"task": "social.end_expired_blocks", "schedule": 60.0},
    # Ranks follow the global mean of reviews, which every review moves (social/mentors).
    "social-refresh-mentor-ranks": {"task": "social.refresh_mentor_ranks", "schedule": 3600.0},
    # The feed's timeline/card work kept while Redis was away (social/feed/outage.py).
    "social-drain-feed-repairs": {
        "task": "social.drain_feed_repairs",
        "schedule": float(env_int("SOCIAL_FEED_REPAIR_SECONDS", 10)),
    },
}
