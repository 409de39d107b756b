"""Events between services over real Kafka, through crashes."""

from __future__ import annotations

from harness import ServiceProcess, register_and_login, wait_for, whoami


def _known_in_social(gateway: str, account: dict) -> bool:
    return whoami(gateway, "social", account["access"]).json()["known_locally"]


def test_a_crashed_consumer_loses_nothing_and_handles_nothing_twice(
    gateway: str, social_events: ServiceProcess
) -> None:
    first = register_and_login(gateway)
    wait_for(lambda: _known_in_social(gateway, first), timeout=60, what="first user in social")

    social_events.kill()  # SIGKILL: no clean shutdown, whatever was in flight is cut off
    while_down = [register_and_login(gateway) for _ in range(3)]
    assert not any(_known_in_social(gateway, account) for account in while_down)

    social_events.start()
    wait_for(
        lambda: all(_known_in_social(gateway, account) for account in while_down),
        timeout=90,
        what="the users registered while social's consumer was down",
    )
    handled = [
        record["event_id"]
        for record in social_events.log_records()
        if record.get("decision") == "handled"
        and record.get("event_type") == "auth.user.registered"
    ]
    assert len(handled) == len(set(handled)), "an event was handled twice"
    ids = {account["user"]["id"] for account in [first, *while_down]}
    assert len(handled) >= len(ids)
