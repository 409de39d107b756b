"""One token from auth-service, verified by every service on its own."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import requests
import websockets.sync.client
from harness import SERVICES, register_and_login, wait_for, whoami

from cotask_common.security.signing import standard_claims
from cotask_common.testing.token_attacks import attack_tokens


def test_a_token_from_auth_is_accepted_by_every_service(gateway: str) -> None:
    account = register_and_login(gateway)
    for service in SERVICES:
        response = whoami(gateway, service, account["access"])
        assert response.status_code == 200, (service, response.text)
        body = response.json()
        assert body["id"] == account["user"]["id"]
        assert body["username"] == account["user"]["username"]
        assert body["role"] == "user"
        assert body["service"] == service


def test_registration_reaches_every_service_over_kafka(gateway: str) -> None:
    account = register_and_login(gateway)

    def projected_everywhere() -> bool:
        return all(
            whoami(gateway, service, account["access"]).json()["known_locally"]
            for service in SERVICES
        )

    wait_for(projected_everywhere, timeout=60, interval=0.5, what="UserRef in every service")


def test_without_a_token_every_service_says_401(gateway: str) -> None:
    for service in SERVICES:
        response = requests.get(f"{gateway}/api/{service}/whoami", timeout=10)
        assert response.status_code == 401, service
        assert response.json()["code"] == "not_authenticated"


def test_forged_expired_and_bent_tokens_are_refused_by_every_service(
    gateway: str, signing_key: object
) -> None:
    account = register_and_login(gateway)
    claims = standard_claims(
        user_id=account["user"]["id"],
        username=account["user"]["username"],
        role="user",
        email_verified=False,
        session_id=uuid.uuid4().hex,
        token_type="access",
        lifetime=timedelta(minutes=5),
        issuer="cotask-auth",
        audience="cotask",
    )
    attacks = attack_tokens(private_key=signing_key.private_key, kid=signing_key.kid, claims=claims)
    assert {"expired", "tampered", "alg_none", "hs256_with_public_key"} <= {a.name for a in attacks}
    failures = []
    for service in SERVICES:
        for attack in attacks:
            response = whoami(gateway, service, attack.token)
            got = (response.status_code, response.json().get("code"))
            if got != (attack.status, attack.code):
                failures.append((service, attack.name, got))
    assert failures == []


def test_the_websocket_accepts_a_token_through_the_gateway(gateway: str) -> None:
    account = register_and_login(gateway)
    ticket = requests.post(
        f"{gateway}/api/notifications/ws-ticket/",
        headers={"Authorization": f"Bearer {account['access']}"},
        timeout=30,
    ).json()["ticket"]
    url = gateway.replace("http://", "ws://") + f"/ws/?ticket={ticket}"
    with websockets.sync.client.connect(url, open_timeout=20) as socket:
        hello = json.loads(socket.recv(timeout=20))
        assert hello["type"] == "hello" and hello["user"] == account["user"]["id"]
        socket.send(json.dumps({"type": "ping"}))
        assert json.loads(socket.recv(timeout=20))["type"] == "pong"


def test_the_websocket_refuses_a_bad_token(gateway: str) -> None:
    url = gateway.replace("http://", "ws://") + "/ws/?ticket=not-a-ticket"
    with (
        pytest.raises(websockets.exceptions.InvalidStatus) as refused,
        websockets.sync.client.connect(url, open_timeout=20) as socket,
    ):
        socket.recv(timeout=20)
    assert refused.value.response.status_code == 403
