"""Thin views for moderation (moderator / admin from the token) and reports (anyone signed in)."""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.openapi import error_response
from cotask_common.security.permissions import IsModerator
from cotask_common.security.requests import SignedInRequest
from cotask_common.views import valid_query
from social.api import paginated, valid, viewer
from social.moderation import selectors, services
from social.moderation.serializers import (
    ActionOutput,
    ActionsQuery,
    BlockPageInput,
    ReasonInput,
    ReportInput,
    ReportOutput,
    ReportQueueQuery,
    ResolveInput,
)
from social.pages import selectors as page_selectors
from social.pages.serializers import PageDetailOutput
from social.posts import selectors as post_selectors


class BlockPageApi(APIView):
    permission_classes = [IsModerator]

    @extend_schema(request=BlockPageInput, responses=PageDetailOutput, summary="Block a page")
    def post(self, request: SignedInRequest, ref: str) -> Response:
        page = page_selectors.page_by_ref(ref=ref)
        data = valid(BlockPageInput, request.data)
        hours = data.pop("duration_hours")
        page = services.block_page(
            page=page,
            actor=request.user,
            duration=timedelta(hours=hours) if hours else None,
            **data,
        )
        return Response(PageDetailOutput(page_selectors.page_by_ref(ref=page.id)).data)

    @extend_schema(request=ReasonInput, responses=PageDetailOutput, summary="Lift a page's block")
    def delete(self, request: SignedInRequest, ref: str) -> Response:
        page = page_selectors.page_by_ref(ref=ref)
        data = valid(ReasonInput, request.data)
        page = services.unblock_page(page=page, actor=request.user, **data)
        return Response(PageDetailOutput(page_selectors.page_by_ref(ref=page.id)).data)


class ModeratePostApi(APIView):
    permission_classes = [IsModerator]

    @extend_schema(request=ReasonInput, responses={204: None}, summary="Delete any post")
    def post(self, request: SignedInRequest, post_id: str) -> Response:
        post = post_selectors.post_for_viewer(post_id=post_id, viewer=viewer(request))
        services.delete_post(post=post, actor=request.user, **valid(ReasonInput, request.data))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModerateCommentApi(APIView):
    permission_classes = [IsModerator]

    @extend_schema(request=ReasonInput, responses={204: None}, summary="Delete any comment")
    def post(self, request: SignedInRequest, comment_id: str) -> Response:
        comment = post_selectors.comment_for_viewer(comment_id=comment_id, viewer=viewer(request))
        services.delete_comment(
            comment=comment, actor=request.user, **valid(ReasonInput, request.data)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportsApi(APIView):
    def get_permissions(self) -> list:
        return [IsModerator()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(
        parameters=[ReportQueueQuery],
        responses=ReportOutput(many=True),
        summary="The reports queue (moderators)",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.report_queue(**valid_query(ReportQueueQuery, request))
        return paginated(self, request, rows, ReportOutput)

    @extend_schema(
        request=ReportInput,
        responses={
            201: ReportOutput,
            404: error_response("Nothing to report with this `target_id` (`not_found`)"),
            409: error_response("Already reported by me"),
        },
        summary="Report content",
    )
    def post(self, request: SignedInRequest) -> Response:
        data = valid(ReportInput, request.data)
        row = services.report(reporter=request.user, **data)
        return Response(ReportOutput(row).data, status=status.HTTP_201_CREATED)


class ResolveReportApi(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        request=ResolveInput,
        responses={
            200: ReportOutput,
            409: error_response("The report is already closed (`report_closed`)"),
        },
        summary="Resolve a report",
    )
    def post(self, request: SignedInRequest, report_id: str) -> Response:
        report = selectors.get_report(report_id=report_id)
        report = services.resolve_report(
            report=report, actor=request.user, **valid(ResolveInput, request.data)
        )
        return Response(ReportOutput(report).data)


class ActionsApi(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        parameters=[ActionsQuery],
        responses=ActionOutput(many=True),
        summary="The moderation record",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.actions(**valid_query(ActionsQuery, request))
        return paginated(self, request, rows, ActionOutput)
