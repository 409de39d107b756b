"""Thin views for posts, replies, likes and comments."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.openapi import error_response
from cotask_common.security.requests import SignedInRequest
from cotask_common.views import valid_query
from social.api import paginated, valid, viewer
from social.pages import selectors as page_selectors
from social.pages.apis import ReadOpenMixin
from social.pages.selectors import owned_page
from social.pages.serializers import StatsOutput
from social.posts import selectors, services
from social.posts.examples import POST
from social.posts.serializers import (
    CommentInput,
    CommentOutput,
    CommentsQuery,
    CommentUpdateInput,
    LikedPostOutput,
    LikerOutput,
    LikeStateOutput,
    PostInput,
    PostOutput,
    PostUpdateInput,
    ReplyInput,
)


def _post_out(post_id: UUID | str, request: Request) -> dict:
    post = selectors.visible_posts(viewer=viewer(request)).get(id=post_id)
    return PostOutput(post, context={"request": request}).data


def _new_post_out(post: object, request: Request) -> dict:
    """A post just created, as returned by create_post (its page attached): nothing to read
    back, and nobody has liked it yet."""
    return PostOutput(post, context={"request": request}).data


class PagePostsApi(ReadOpenMixin, APIView):
    @extend_schema(responses=PostOutput(many=True), summary="A page's posts, newest first")
    def get(self, request: Request, ref: str) -> Response:
        page = page_selectors.readable_page(ref=ref, viewer=viewer(request))
        return paginated(
            self, request, selectors.page_posts(page_id=page.id, viewer=viewer(request)), PostOutput
        )

    @extend_schema(
        request=PostInput,
        responses={201: PostOutput},
        summary="Post on my page",
        examples=[
            OpenApiExample(
                "A post with a tag",
                value={"text": POST["text"], "tags": ["python"]},
                request_only=True,
            ),
            OpenApiExample("The new post", value=POST, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request: SignedInRequest, ref: str) -> Response:
        page = page_selectors.visible_page(ref=ref, viewer=viewer(request))
        data = valid(PostInput, request.data)
        post = services.create_post(page=page, actor_id=request.user.id, **data)
        return Response(_new_post_out(post, request), status=status.HTTP_201_CREATED)


class PostDetailApi(ReadOpenMixin, APIView):
    @extend_schema(responses=PostOutput, summary="A post")
    def get(self, request: Request, post_id: str) -> Response:
        post = selectors.post_for_viewer(post_id=post_id, viewer=viewer(request))
        return Response(_post_out(post.id, request))

    @extend_schema(
        request=PostUpdateInput,
        responses={
            200: PostOutput,
            409: error_response("A progress post cannot be edited (`progress_post`)"),
        },
        summary="Edit my post",
    )
    def patch(self, request: SignedInRequest, post_id: str) -> Response:
        post = selectors.post_for_viewer(post_id=post_id, viewer=viewer(request))
        data = valid(PostUpdateInput, request.data)
        services.update_post(post=post, actor_id=request.user.id, **data)
        return Response(_post_out(post.id, request))

    @extend_schema(responses={204: None}, summary="Delete my post")
    def delete(self, request: SignedInRequest, post_id: str) -> Response:
        post = selectors.post_for_viewer(post_id=post_id, viewer=viewer(request))
        services.delete_post(post=post, actor_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RepliesApi(ReadOpenMixin, APIView):
    @extend_schema(responses=PostOutput(many=True), summary="A post's thread of replies")
    def get(self, request: Request, post_id: str) -> Response:
        post = selectors.post_for_viewer(post_id=post_id, viewer=viewer(request))
        return paginated(
            self, request, selectors.replies(post=post, viewer=viewer(request)), PostOutput
        )

    @extend_schema(request=ReplyInput, responses={201: PostOutput}, summary="Reply from my page")
    def post(self, request: SignedInRequest, post_id: str) -> Response:
        post = selectors.post_for_viewer(post_id=post_id, viewer=viewer(request))
        data = valid(ReplyInput, request.data)
        page = page_selectors.visible_page(ref=data.pop("page_id"), viewer=viewer(request))
        reply = services.reply_to_post(post=post, page=page, actor_id=request.user.id, **data)
        return Response(_new_post_out(reply, request), status=status.HTTP_201_CREATED)


class PostLikeApi(APIView):
    @extend_schema(
        request=None,
        responses=LikeStateOutput,
        summary="Like (idempotent)",
        examples=[
            OpenApiExample("Liked now", value={"liked": True, "changed": True}),
            OpenApiExample("Liked before", value={"liked": True, "changed": False}),
        ],
    )
    def post(self, request: Request, post_id: str) -> Response:
        changed = services.like_post(post_id=post_id, viewer=viewer(request))
        return Response({"liked": True, "changed": changed})

    @extend_schema(request=None, responses=LikeStateOutput, summary="Unlike (idempotent)")
    def delete(self, request: Request, post_id: str) -> Response:
        changed = services.unlike_post(post_id=post_id, viewer=viewer(request))
        return Response({"liked": False, "changed": changed})


class PostLikersApi(ReadOpenMixin, APIView):
    @extend_schema(responses=LikerOutput(many=True), summary="Who liked a post")
    def get(self, request: Request, post_id: str) -> Response:
        post = selectors.post_for_viewer(post_id=post_id, viewer=viewer(request))
        return paginated(self, request, selectors.likers(post=post), LikerOutput)


class MyLikesApi(APIView):
    @extend_schema(responses=LikedPostOutput(many=True), summary="Posts I liked")
    def get(self, request: SignedInRequest) -> Response:
        rows = selectors.liked_posts(user_id=request.user.id, viewer=viewer(request))
        return paginated(self, request, rows, LikedPostOutput)


class CommentsApi(ReadOpenMixin, APIView):
    @extend_schema(
        parameters=[CommentsQuery],
        responses=CommentOutput(many=True),
        summary="Comments on a post (top level, or replies to `parent`)",
    )
    def get(self, request: Request, post_id: str) -> Response:
        parent_ref = valid_query(CommentsQuery, request).get("parent")
        post = selectors.post_for_viewer(post_id=post_id, viewer=viewer(request))
        parent = (
            selectors.comment_for_viewer(comment_id=parent_ref, viewer=viewer(request)).id
            if parent_ref
            else None
        )
        rows = selectors.comments(post=post, parent_id=parent, viewer=viewer(request))
        return paginated(self, request, rows, CommentOutput)

    @extend_schema(request=CommentInput, responses={201: CommentOutput}, summary="Comment")
    def post(self, request: SignedInRequest, post_id: str) -> Response:
        post = selectors.post_for_viewer(post_id=post_id, viewer=viewer(request))
        data = valid(CommentInput, request.data)
        comment = services.create_comment(post=post, author_id=request.user.id, **data)
        out = selectors.comments(post=post, parent_id=comment.parent_id, viewer=viewer(request))
        return Response(CommentOutput(out.get(id=comment.id)).data, status=status.HTTP_201_CREATED)


class CommentDetailApi(APIView):
    @extend_schema(request=CommentUpdateInput, responses=CommentOutput, summary="Edit my comment")
    def patch(self, request: SignedInRequest, comment_id: str) -> Response:
        comment = selectors.comment_for_viewer(comment_id=comment_id, viewer=viewer(request))
        data = valid(CommentUpdateInput, request.data)
        comment = services.update_comment(comment=comment, actor_id=request.user.id, **data)
        out = selectors.comments(
            post=comment.post, parent_id=comment.parent_id, viewer=viewer(request)
        )
        return Response(CommentOutput(out.get(id=comment.id)).data)

    @extend_schema(responses={204: None}, summary="Delete my comment")
    def delete(self, request: SignedInRequest, comment_id: str) -> Response:
        comment = selectors.comment_for_viewer(comment_id=comment_id, viewer=viewer(request))
        services.delete_comment(comment=comment, actor_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentLikeApi(APIView):
    @extend_schema(request=None, responses=LikeStateOutput, summary="Like a comment")
    def post(self, request: SignedInRequest, comment_id: str) -> Response:
        comment = selectors.comment_for_viewer(comment_id=comment_id, viewer=viewer(request))
        return Response(
            {
                "liked": True,
                "changed": services.like_comment(comment=comment, user_id=request.user.id),
            }
        )

    @extend_schema(request=None, responses=LikeStateOutput, summary="Unlike a comment")
    def delete(self, request: SignedInRequest, comment_id: str) -> Response:
        comment = selectors.comment_for_viewer(comment_id=comment_id, viewer=viewer(request))
        return Response(
            {
                "liked": False,
                "changed": services.unlike_comment(comment=comment, user_id=request.user.id),
            }
        )


class TagPostsApi(ReadOpenMixin, APIView):
    @extend_schema(responses=PostOutput(many=True), summary="Posts with a tag, newest first")
    def get(self, request: Request, tag: str) -> Response:
        return paginated(
            self, request, selectors.tag_posts(tag=tag, viewer=viewer(request)), PostOutput
        )


class PopularApi(ReadOpenMixin, APIView):
    @extend_schema(responses=PostOutput(many=True), summary="Popular recent posts (time decay)")
    def get(self, request: Request) -> Response:
        rows = selectors.popular_posts(viewer=viewer(request))
        return paginated(self, request, rows, PostOutput, ordering=("-hot_score", "-id"))


class StatsApi(APIView):
    @extend_schema(responses=StatsOutput, summary="Page statistics (owner)")
    def get(self, request: Request, ref: str) -> Response:
        page = owned_page(ref=ref, viewer=viewer(request))
        return Response(StatsOutput(selectors.page_stats(page=page)).data)
