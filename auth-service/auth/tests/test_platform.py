"""The platform contract for auth-service: health, readiness, tokens, docs, admin."""

from cotask_common.testing.service_contract import *  # noqa: F403
