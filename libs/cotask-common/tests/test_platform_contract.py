"""The shared kit passes the same platform contract every service runs."""

from cotask_common.testing.service_contract import *  # noqa: F403
