from django.urls import path

from social.pages import apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="me"),
    path("me/following/", apis.FollowingApi.as_view(), name="me-following"),
    path("pages/", apis.PageListApi.as_view(), name="pages"),
    path("pages/<str:ref>/", apis.PageDetailApi.as_view(), name="page"),
    path("pages/<str:ref>/follow/", apis.FollowApi.as_view(), name="page-follow"),
    path("pages/<str:ref>/followers/", apis.FollowersApi.as_view(), name="page-followers"),
    path(
        "pages/<str:ref>/followers/<uuid:user_id>/",
        apis.FollowerDetailApi.as_view(),
        name="page-follower",
    ),
    path("pages/<str:ref>/requests/", apis.RequestsApi.as_view(), name="page-requests"),
    path(
        "pages/<str:ref>/requests/approve/",
        apis.ApproveRequestsApi.as_view(),
        name="page-requests-approve",
    ),
    path(
        "pages/<str:ref>/requests/reject/",
        apis.RejectRequestsApi.as_view(),
        name="page-requests-reject",
    ),
    path("pages/<str:ref>/blocks/", apis.PageBlocksApi.as_view(), name="page-blocks"),
    path(
        "pages/<str:ref>/blocks/<uuid:user_id>/",
        apis.PageBlockDetailApi.as_view(),
        name="page-block",
    ),
]
