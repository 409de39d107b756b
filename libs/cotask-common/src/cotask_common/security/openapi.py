"""Tells drf-spectacular how CoTask's token authentication looks in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from cotask_common.security.authentication import JWTAuthentication


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "cotask_common.security.authentication.JWTAuthentication"
    match_subclasses = True
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


# Services subclass the authentication (auth-service checks the session too) and name their
# scheme `jwtAuth` as well: one scheme in the document, not a collision.
JWTAuthentication._spectacular_annotation = {"suppress_collision_warning": True}  # type: ignore[attr-defined]
