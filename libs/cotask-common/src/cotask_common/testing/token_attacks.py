"""Forged and broken tokens every service must refuse, with the error code each must give.

Used by every service's own suite (through `service_contract`) and by the end-to-end suite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization

from cotask_common.security.signing import encode_token, generate_private_key, key_id


@dataclass(frozen=True)
class Attack:
    name: str
    token: str
    status: int
    code: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


def attack_tokens(*, private_key: Any, kid: str, claims: dict[str, Any]) -> list[Attack]:
    """`claims` are those of a valid access token; each attack bends one thing."""
    now = datetime.now(tz=UTC)

    def signed(**changes: Any) -> str:
        return encode_token({**claims, **changes}, private_key=private_key, kid=kid)

    valid = signed()
    header, payload, signature = valid.split(".")
    tampered_payload = _segment({**claims, "role": "admin"})
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_header = _segment({"alg": "HS256", "typ": "JWT", "kid": kid})
    hs_body = _segment(claims)
    hs_signature = _b64(
        hmac.new(public_pem, f"{hs_header}.{hs_body}".encode(), hashlib.sha256).digest()
    )
    stranger = generate_private_key()
    return [
        Attack(
            "expired",
            signed(
                iat=int((now - timedelta(hours=2)).timestamp()),
                nbf=int((now - timedelta(hours=2)).timestamp()),
                exp=int((now - timedelta(hours=1)).timestamp()),
            ),
            401,
            "token_expired",
        ),
        Attack(
            "not_yet_valid",
            signed(
                nbf=int((now + timedelta(hours=1)).timestamp()),
                exp=int((now + timedelta(hours=2)).timestamp()),
            ),
            401,
            "token_not_yet_valid",
        ),
        Attack(
            "tampered", f"{header}.{tampered_payload}.{signature}", 401, "token_invalid_signature"
        ),
        Attack(
            "alg_none",
            f"{_segment({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{payload}.",
            401,
            "token_algorithm_not_allowed",
        ),
        Attack(
            "hs256_with_public_key",
            f"{hs_header}.{hs_body}.{hs_signature}",
            401,
            "token_algorithm_not_allowed",
        ),
        Attack(
            "unknown_kid",
            encode_token(claims, private_key=stranger, kid=key_id(stranger.public_key())),
            401,
            "token_unknown_key",
        ),
        Attack(
            "foreign_key_known_kid",
            encode_token(claims, private_key=stranger, kid=kid),
            401,
            "token_invalid_signature",
        ),
        Attack("wrong_issuer", signed(iss="someone-else"), 401, "token_invalid_issuer"),
        Attack("wrong_audience", signed(aud="another-app"), 401, "token_invalid_audience"),
        Attack("refresh_as_access", signed(typ="refresh"), 401, "token_wrong_type"),
        Attack("garbage", "not-a-jwt", 401, "token_malformed"),
    ]
