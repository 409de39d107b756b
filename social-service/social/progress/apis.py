"""My progress settings (`/me/progress/`), and muting a person's progress posts in my feed."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.security.requests import SignedInRequest
from social.api import paginated, valid, viewer
from social.pages.selectors import visible_page
from social.progress import selectors, services
from social.progress.serializers import MuteOutput, MuteStateOutput, SettingsInput, SettingsOutput


class SettingsApi(APIView):
    @extend_schema(responses=SettingsOutput, summary="What I share as progress posts")
    def get(self, request: SignedInRequest) -> Response:
        return Response(selectors.settings_of(user_id=request.user.id))

    @extend_schema(
        request=SettingsInput, responses=SettingsOutput, summary="Share progress posts, per kind"
    )
    def patch(self, request: SignedInRequest) -> Response:
        services.settings_update(user=request.user, changes=valid(SettingsInput, request.data))
        return Response(selectors.settings_of(user_id=request.user.id))


class MuteApi(APIView):
    @extend_schema(
        request=None, responses=MuteStateOutput, summary="Mute the page owner's progress posts"
    )
    def put(self, request: SignedInRequest, ref: str) -> Response:
        page = visible_page(ref=ref, viewer=viewer(request))
        changed = services.mute(user_id=request.user.id, page=page)
        return Response({"muted": True, "changed": changed})

    @extend_schema(responses=MuteStateOutput, summary="Unmute the page owner's progress posts")
    def delete(self, request: SignedInRequest, ref: str) -> Response:
        page = visible_page(ref=ref, viewer=viewer(request))
        changed = services.unmute(user_id=request.user.id, page=page)
        return Response({"muted": False, "changed": changed})


class MutesApi(APIView):
    @extend_schema(responses=MuteOutput(many=True), summary="People whose progress I muted")
    def get(self, request: SignedInRequest) -> Response:
        return paginated(self, request, selectors.mutes(user_id=request.user.id), MuteOutput)
