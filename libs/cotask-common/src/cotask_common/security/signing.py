"""Signing tokens: used by auth-service to issue them and by the test kit to forge them."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def generate_private_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_to_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA private key")
    return key


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """A stable kid: the RFC 7638 thumbprint of the public key."""
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def public_jwk(public_key: rsa.RSAPublicKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return jwk


def encode_token(
    claims: dict[str, Any], *, private_key: Any, kid: str, algorithm: str = "RS256"
) -> str:
    return jwt.encode(claims, private_key, algorithm=algorithm, headers={"kid": kid})


def standard_claims(
    *,
    user_id: UUID | str,
    username: str,
    role: str,
    email_verified: bool,
    session_id: str | None,
    token_type: str,
    lifetime: timedelta,
    issuer: str,
    audience: str,
    now: datetime | None = None,
    language: str | None = None,
    time_zone: str | None = None,
) -> dict[str, Any]:
    """The claims of an access or refresh token. `language` and `time_zone` (the account's
    saved ones, claims `lang` and `tz`) let every service answer in the person's language and
    zone without asking auth; a change takes effect with the next token."""
    issued = now or datetime.now(tz=UTC)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": str(user_id),
        "username": username,
        "role": role,
        "email_verified": email_verified,
        "sid": session_id,
        "typ": token_type,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "jti": uuid4().hex,
    }
    if language:
        claims["lang"] = language
    if time_zone:
        claims["tz"] = time_zone
    return claims
