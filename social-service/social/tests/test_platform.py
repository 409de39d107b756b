"""The platform contract for social-service: health, readiness, tokens, docs, admin."""

from cotask_common.testing.service_contract import *  # noqa: F403
