"""Comments on tasks (under `/api/tasks/`)."""

from django.urls import path

from tasks.comments import apis

urlpatterns = [
    path("tasks/<str:task_id>/comments/", apis.TaskCommentsApi.as_view(), name="task-comments"),
    path("comments/<str:comment_id>/", apis.CommentDetailApi.as_view(), name="comment"),
]
