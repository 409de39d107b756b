"""Subtasks, dependencies and attachments of a task (under `/api/tasks/`)."""

from django.urls import path

from tasks.planning import relations_apis as apis

urlpatterns = [
    path("tasks/<str:task_id>/subtasks/", apis.SubtasksApi.as_view(), name="task-subtasks"),
    path(
        "tasks/<str:task_id>/blocked-by/<str:other_id>/",
        apis.BlockedByApi.as_view(),
        name="task-blocked-by",
    ),
    path(
        "tasks/<str:task_id>/attachments/",
        apis.AttachmentsApi.as_view(),
        name="task-attachments",
    ),
    path(
        "tasks/<str:task_id>/attachments/<str:file_id>/",
        apis.AttachmentDetailApi.as_view(),
        name="task-attachment",
    ),
]
