from django.urls import path

from social.posts import apis

urlpatterns = [
    path("pages/<str:ref>/posts/", apis.PagePostsApi.as_view(), name="page-posts"),
    # Here, not in pages: the statistics name the page's top posts.
    path("pages/<str:ref>/stats/", apis.StatsApi.as_view(), name="page-stats"),
    path("posts/<uuid:post_id>/", apis.PostDetailApi.as_view(), name="post"),
    path("posts/<uuid:post_id>/replies/", apis.RepliesApi.as_view(), name="post-replies"),
    path("posts/<uuid:post_id>/like/", apis.PostLikeApi.as_view(), name="post-like"),
    path("posts/<uuid:post_id>/likes/", apis.PostLikersApi.as_view(), name="post-likes"),
    path("posts/<uuid:post_id>/comments/", apis.CommentsApi.as_view(), name="post-comments"),
    path("comments/<uuid:comment_id>/", apis.CommentDetailApi.as_view(), name="comment"),
    path("comments/<uuid:comment_id>/like/", apis.CommentLikeApi.as_view(), name="comment-like"),
    path("me/likes/", apis.MyLikesApi.as_view(), name="me-likes"),
    path("tags/<str:tag>/posts/", apis.TagPostsApi.as_view(), name="tag-posts"),
    path("feed/popular/", apis.PopularApi.as_view(), name="feed-popular"),
]
