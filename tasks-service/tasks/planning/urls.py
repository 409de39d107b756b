from django.urls import path

from tasks.planning import apis

urlpatterns = [
    path("rooms/<str:room_id>/tasks/", apis.RoomTasksApi.as_view(), name="room-tasks"),
    path("rooms/<str:room_id>/board/", apis.BoardApi.as_view(), name="room-board"),
    path("personal/tasks/", apis.PersonalTasksApi.as_view(), name="personal-tasks"),
    path("my-tasks/", apis.MyTasksApi.as_view(), name="my-tasks"),
    path("tasks/<str:task_id>/", apis.TaskDetailApi.as_view(), name="task-detail"),
    path("tasks/<str:task_id>/move/", apis.TaskMoveApi.as_view(), name="task-move"),
    path("tasks/<str:task_id>/history/", apis.TaskHistoryApi.as_view(), name="task-history"),
]
