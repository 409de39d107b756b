"""The platform contract for habits-service: health, readiness, tokens, docs, admin."""

from cotask_common.testing.service_contract import *  # noqa: F403
from cotask_common.testing.service_contract import (  # noqa: F401  (opted in: every text marked)
    test_every_message_for_people_is_marked_for_translation,
)
