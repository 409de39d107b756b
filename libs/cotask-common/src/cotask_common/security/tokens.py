"""Verifying CoTask access tokens: RS256 only, with issuer, audience and type checks."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import jwt
from django.conf import settings
from django.utils.translation import gettext as _

from cotask_common.roles import Role, can_moderate, is_admin
from cotask_common.security.keys import get_key_provider, on_key_removed

ALLOWED_ALGORITHMS = ("RS256",)


class TokenError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class TokenUser:
    """The caller as a service sees them: claims from the token, adjusted by the local UserRef."""

    id: UUID
    username: str
    role: Role
    email_verified: bool
    session_id: str | None
    claims: dict[str, Any] = field(repr=False, default_factory=dict)

    is_authenticated = True
    is_anonymous = False

    @property
    def pk(self) -> UUID:
        return self.id

    @property
    def is_moderator(self) -> bool:
        return can_moderate(self)

    @property
    def is_admin(self) -> bool:
        return is_admin(self)


class _VerifiedTokens:
    """A bounded cache of tokens whose signature and claims were already checked.

    A client sends the same access token for its whole life (minutes), so each process verifies
    the RSA signature once and afterwards only re-checks expiry and that its key is still
    trusted. Keyed by the exact token string: different bytes are verified afresh.
    """

    def __init__(self, max_size: int = 4096) -> None:
        self.max_size = max_size
        # token -> (claims, kid of the key that verified it)
        self._claims: OrderedDict[str, tuple[dict[str, Any], str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> tuple[dict[str, Any], str] | None:
        with self._lock:
            claims = self._claims.get(token)
            if claims is not None:
                self._claims.move_to_end(token)
            return claims

    def put(self, token: str, claims: dict[str, Any], kid: str) -> None:
        with self._lock:
            self._claims[token] = (claims, kid)
            if len(self._claims) > self.max_size:
                self._claims.popitem(last=False)

    def discard(self, token: str) -> None:
        with self._lock:
            self._claims.pop(token, None)

    def clear(self) -> None:
        with self._lock:
            self._claims.clear()


verified_tokens = _VerifiedTokens()
on_key_removed(verified_tokens.clear)


def decode_token(token: str, *, expected_type: str = "access") -> dict[str, Any]:
    entry = verified_tokens.get(token)
    # Still signed by a key we trust: one that left the JWKS (after the scheduled refresh) no
    # longer verifies, even for a token checked before.
    cached = entry[0] if entry is not None else None
    if entry is not None and get_key_provider().get_key(entry[1]) is None:
        verified_tokens.discard(token)
        cached = None
    if cached is not None:
        if cached["exp"] + settings.COTASK_JWT_LEEWAY_SECONDS <= time.time():
            verified_tokens.discard(token)
            raise TokenError("token_expired", _("The token has expired."))
        _check_type(cached, expected_type)
        return cached
    claims, kid = _verify(token)
    _check_type(claims, expected_type)
    verified_tokens.put(token, claims, kid)
    return claims


def _check_type(claims: dict[str, Any], expected_type: str) -> None:
    if claims.get("typ") != expected_type:
        raise TokenError(
            "token_wrong_type",
            _("This needs a token of type %(expected)s, not %(given)s.")
            % {"expected": expected_type, "given": claims.get("typ")},
        )


def _verify(token: str) -> tuple[dict[str, Any], str]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise TokenError("token_malformed", _("The token is not a well-formed JWT.")) from exc
    algorithm = header.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise TokenError(
            "token_algorithm_not_allowed",
            _("Tokens must be signed with RS256, not %(algorithm)s.")
            % {"algorithm": repr(algorithm)},
        )
    kid = header.get("kid")
    if not kid or not isinstance(kid, str):
        raise TokenError("token_unknown_key", _("The token names no signing key (kid)."))
    key = get_key_provider().get_key(kid)
    if key is None:
        raise TokenError("token_unknown_key", _("The token was signed with an unknown key."))
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=list(ALLOWED_ALGORITHMS),
            audience=settings.COTASK_JWT_AUDIENCE,
            issuer=settings.COTASK_JWT_ISSUER,
            leeway=settings.COTASK_JWT_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "iss", "aud", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token_expired", _("The token has expired.")) from exc
    except jwt.ImmatureSignatureError as exc:
        raise TokenError("token_not_yet_valid", _("The token is not valid yet.")) from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenError("token_invalid_signature", _("The token's signature is invalid.")) from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenError("token_invalid_audience", _("The token is not meant for CoTask.")) from exc
    except jwt.InvalidIssuerError as exc:
        raise TokenError("token_invalid_issuer", _("The token was not issued by CoTask.")) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise TokenError(
            "token_malformed", _("The token lacks the %(claim)s claim.") % {"claim": exc.claim}
        ) from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError(
            "token_invalid", _("The token is invalid: %(reason)s.") % {"reason": exc}
        ) from exc
    return claims, kid


def user_from_claims(claims: dict[str, Any]) -> TokenUser:
    try:
        user_id = UUID(str(claims["sub"]))
    except (KeyError, ValueError) as exc:
        raise TokenError("token_malformed", _("The token's subject is not a user id.")) from exc
    try:
        role = Role(claims.get("role", Role.USER))
    except ValueError as exc:
        # Refused, not read as a user's: a role this service does not know is a malformed token.
        raise TokenError(
            "token_malformed",
            _("The token carries an unknown role %(role)s.") % {"role": claims.get("role")},
        ) from exc
    return TokenUser(
        id=user_id,
        username=str(claims.get("username", "")),
        role=role,
        email_verified=bool(claims.get("email_verified", False)),
        session_id=claims.get("sid"),
        claims=claims,
    )
