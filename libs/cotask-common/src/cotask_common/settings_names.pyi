"""The settings `build_settings()` gives every service, declared with their types for mypy.

A service's settings module takes them with `globals().update(build_settings(...))`, which the
type checker cannot see: django-stubs would call `settings.COTASK_SERVICE` unknown. Each
settings module star-imports this one under `if TYPE_CHECKING:`, so mypy knows every name and
its type. Nothing here runs: the names are annotations only (a star import at run time would
bring none), and `cotask_common.settings` stays the one place that sets them.
"""

from pathlib import Path
from typing import Any

COTASK_SERVICE: str
COTASK_VAR_DIR: Path
COTASK_TLS: bool
COTASK_JWT_ISSUER: str
COTASK_JWT_AUDIENCE: str
COTASK_JWKS_URL: str
COTASK_JWT_KEY_PROVIDER: str
COTASK_JWKS_REFRESH_SECONDS: int
COTASK_JWT_LEEWAY_SECONDS: int
COTASK_BLOCKLIST_TTL_SECONDS: int
COTASK_EVENT_BUS: str
COTASK_KAFKA_BOOTSTRAP_SERVERS: str
COTASK_KAFKA_TOPIC_PARTITIONS: int
COTASK_KAFKA_TOPIC_PREFIX: str
COTASK_KAFKA_REPLICATION_FACTOR: int
COTASK_EVENT_LOG_PATH: str
COTASK_EVENT_MAX_ATTEMPTS: int
# Django and library settings a service's module goes on to extend.
REST_FRAMEWORK: dict[str, Any]
SPECTACULAR_SETTINGS: dict[str, Any]
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]]
