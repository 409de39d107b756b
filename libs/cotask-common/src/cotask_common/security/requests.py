"""The request type of a view that only signed-in callers reach.

DRF types `request.user` as Django's user model or AnonymousUser; behind the kit's
`JWTAuthentication` and `IsAuthenticated` (the default permission) it is always a `TokenUser`,
and `request.auth` the token's claims. Views annotate such methods with `SignedInRequest`; views
also open to anonymous callers keep DRF's `Request` and go through the service's `viewer()`.

Only a type: at run time it is DRF's `Request` itself, so nothing changes for a request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.request import Request

from cotask_common.security.tokens import TokenUser

if TYPE_CHECKING:

    class SignedInRequest(Request):
        @property  # type: ignore[override]  # narrower than DRF's user model, on purpose
        def user(self) -> TokenUser: ...
        @user.setter
        def user(self, value: Any) -> None: ...
        @property
        def auth(self) -> dict[str, Any]: ...
        @auth.setter
        def auth(self, value: Any) -> None: ...

else:
    SignedInRequest = Request

__all__ = ["SignedInRequest"]
