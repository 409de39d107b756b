"""Thin views: parse, call a service or selector, serialize."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.openapi import error_response
from cotask_common.security.requests import SignedInRequest
from cotask_common.users.models import UserRef
from social.api import paginated, valid, viewer
from social.pages import selectors, services
from social.pages.serializers import (
    BatchInput,
    CountOutput,
    FollowingOutput,
    FollowOutput,
    FollowStateOutput,
    MeOutput,
    PageBlockOutput,
    PageCreateInput,
    PageDetailOutput,
    PageOutput,
    PageUpdateInput,
    UserIdInput,
)


class ReadOpenMixin:
    """GET for anyone (anonymous callers see public pages); anything else signed in."""

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):  # type: ignore[attr-defined]
            return [AllowAny()]
        return [IsAuthenticated()]


class MeApi(APIView):
    @extend_schema(responses=MeOutput, summary="My account here: personal page and counts")
    def get(self, request: SignedInRequest) -> Response:
        page = services.ensure_personal_page(user=request.user)
        user = UserRef.objects.filter(id=request.user.id).first()
        brief = user or {
            "id": request.user.id,
            "username": request.user.username,
            "display_name": "",
        }
        return Response(
            MeOutput(
                {
                    "user": brief,
                    "personal_page": page,
                    "following_count": selectors.following_count(user_id=request.user.id),
                    "pages_count": selectors.pages_of(owner_id=request.user.id).count(),
                }
            ).data
        )


class PageListApi(APIView):
    @extend_schema(responses=PageOutput(many=True), summary="My pages")
    def get(self, request: SignedInRequest) -> Response:
        return paginated(self, request, selectors.pages_of(owner_id=request.user.id), PageOutput)

    @extend_schema(
        request=PageCreateInput,
        responses={201: PageDetailOutput, 409: error_response("The handle is taken (`taken`)")},
        summary="Create a page",
        examples=[
            OpenApiExample(
                "A public page",
                value={
                    "handle": "ada_writes",
                    "name": "Ada writes",
                    "description": "Notes on engines, numbers and poetry.",
                    "tags": ["python", "math"],
                    "is_private": False,
                },
                request_only=True,
            ),
            OpenApiExample(
                "A private page",
                value={"handle": "ada_diary", "name": "Ada's diary", "is_private": True},
                request_only=True,
            ),
        ],
    )
    def post(self, request: SignedInRequest) -> Response:
        data = valid(PageCreateInput, request.data)
        page = services.create_page(owner_id=request.user.id, **data)
        page = selectors.page_by_ref(ref=page.id)
        return Response(PageDetailOutput(page).data, status=status.HTTP_201_CREATED)


class PageDetailApi(ReadOpenMixin, APIView):
    @extend_schema(responses=PageDetailOutput, summary="A page by id or handle")
    def get(self, request: Request, ref: str) -> Response:
        page = selectors.visible_page(ref=ref, viewer=viewer(request))
        context = {"follow_status": selectors.follow_status(page=page, viewer=viewer(request))}
        return Response(PageDetailOutput(page, context=context).data)

    @extend_schema(
        request=PageUpdateInput,
        responses={200: PageDetailOutput, 409: error_response("The handle is taken (`taken`)")},
        summary="Edit my page",
    )
    def patch(self, request: SignedInRequest, ref: str) -> Response:
        page = selectors.owned_page(ref=ref, viewer=viewer(request))
        changes = valid(PageUpdateInput, request.data, partial=True)
        page = services.update_page(page=page, actor_id=request.user.id, changes=changes)
        return Response(PageDetailOutput(selectors.page_by_ref(ref=page.id)).data)

    @extend_schema(responses={204: None}, summary="Delete my page (not the personal one)")
    def delete(self, request: SignedInRequest, ref: str) -> Response:
        services.delete_page(
            page=selectors.owned_page(ref=ref, viewer=viewer(request)), actor_id=request.user.id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class FollowApi(APIView):
    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(FollowStateOutput, description="Following now (`approved`)"),
            202: OpenApiResponse(
                FollowStateOutput, description="Asked: the private page's owner decides (`pending`)"
            ),
        },
        examples=[
            OpenApiExample(
                "Following a public page", value={"status": "approved"}, status_codes=["201"]
            ),
            OpenApiExample(
                "Asked a private page", value={"status": "pending"}, status_codes=["202"]
            ),
        ],
        summary="Follow (or ask to follow)",
    )
    def post(self, request: SignedInRequest, ref: str) -> Response:
        page = selectors.visible_page(ref=ref, viewer=viewer(request))
        follow = services.follow_page(page=page, user_id=request.user.id)
        code = status.HTTP_201_CREATED if follow.status == "approved" else status.HTTP_202_ACCEPTED
        return Response({"status": follow.status}, status=code)

    @extend_schema(responses={204: None}, summary="Unfollow, or withdraw a request")
    def delete(self, request: SignedInRequest, ref: str) -> Response:
        page = selectors.page_by_ref(ref=ref)
        services.unfollow_page(page=page, user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FollowersApi(ReadOpenMixin, APIView):
    @extend_schema(responses=FollowOutput(many=True), summary="A page's followers")
    def get(self, request: Request, ref: str) -> Response:
        page = selectors.readable_page(ref=ref, viewer=viewer(request))
        return paginated(self, request, selectors.followers(page=page), FollowOutput)


class FollowerDetailApi(APIView):
    @extend_schema(responses={204: None}, summary="Remove a follower (owner)")
    def delete(self, request: SignedInRequest, ref: str, user_id: UUID) -> Response:
        services.remove_follower(
            page=selectors.owned_page(ref=ref, viewer=viewer(request)),
            actor_id=request.user.id,
            user_id=user_id,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RequestsApi(APIView):
    @extend_schema(responses=FollowOutput(many=True), summary="Pending follow requests (owner)")
    def get(self, request: Request, ref: str) -> Response:
        page = selectors.owned_page(ref=ref, viewer=viewer(request))
        return paginated(self, request, selectors.follow_requests(page=page), FollowOutput)


class ApproveRequestsApi(APIView):
    @extend_schema(request=BatchInput, responses=CountOutput, summary="Approve one, several or all")
    def post(self, request: SignedInRequest, ref: str) -> Response:
        data = valid(BatchInput, request.data)
        count = services.approve_requests(
            page=selectors.owned_page(ref=ref, viewer=viewer(request)),
            actor_id=request.user.id,
            **data,
        )
        return Response({"count": count})


class RejectRequestsApi(APIView):
    @extend_schema(request=BatchInput, responses=CountOutput, summary="Reject one, several or all")
    def post(self, request: SignedInRequest, ref: str) -> Response:
        data = valid(BatchInput, request.data)
        count = services.reject_requests(
            page=selectors.owned_page(ref=ref, viewer=viewer(request)),
            actor_id=request.user.id,
            **data,
        )
        return Response({"count": count})


class PageBlocksApi(APIView):
    @extend_schema(responses=PageBlockOutput(many=True), summary="Users blocked from my page")
    def get(self, request: Request, ref: str) -> Response:
        page = selectors.owned_page(ref=ref, viewer=viewer(request))
        return paginated(self, request, selectors.blocked_users(page=page), PageBlockOutput)

    @extend_schema(request=UserIdInput, responses={201: PageBlockOutput}, summary="Block a user")
    def post(self, request: SignedInRequest, ref: str) -> Response:
        data = valid(UserIdInput, request.data)
        block = services.block_user(
            page=selectors.owned_page(ref=ref, viewer=viewer(request)),
            actor_id=request.user.id,
            **data,
        )
        return Response(PageBlockOutput(block).data, status=status.HTTP_201_CREATED)


class PageBlockDetailApi(APIView):
    @extend_schema(responses={204: None}, summary="Unblock a user")
    def delete(self, request: SignedInRequest, ref: str, user_id: UUID) -> Response:
        services.unblock_user(
            page=selectors.owned_page(ref=ref, viewer=viewer(request)),
            actor_id=request.user.id,
            user_id=user_id,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class FollowingApi(APIView):
    @extend_schema(responses=FollowingOutput(many=True), summary="Pages I follow")
    def get(self, request: SignedInRequest) -> Response:
        return paginated(
            self, request, selectors.following(user_id=request.user.id), FollowingOutput
        )
