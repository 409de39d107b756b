from django.urls import path

from habits.tracking import apis

urlpatterns = [
    path("habits/", apis.HabitListApi.as_view(), name="habits"),
    path("habits/order/", apis.OrderApi.as_view(), name="habit-order"),
    path("habits/<str:habit_id>/", apis.HabitDetailApi.as_view(), name="habit"),
    path("habits/<str:habit_id>/archive/", apis.ArchiveApi.as_view(), name="habit-archive"),
    path("habits/<str:habit_id>/pauses/", apis.PauseListApi.as_view(), name="habit-pauses"),
    path(
        "habits/<str:habit_id>/pauses/<str:pause_id>/",
        apis.PauseDetailApi.as_view(),
        name="habit-pause",
    ),
    path("habits/<str:habit_id>/checkins/", apis.CheckinListApi.as_view(), name="habit-checkins"),
    path(
        "habits/<str:habit_id>/checkins/<str:day>/",
        apis.CheckinDetailApi.as_view(),
        name="habit-checkin",
    ),
    path("habits/<str:habit_id>/heatmap/", apis.HeatmapApi.as_view(), name="habit-heatmap"),
    path("habits/<str:habit_id>/stats/", apis.StatsApi.as_view(), name="habit-stats"),
]
