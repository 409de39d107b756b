"""The agenda (under `/api/tasks/`)."""

from django.urls import path

from tasks.agenda import apis

urlpatterns = [
    path("agenda/", apis.AgendaApi.as_view(), name="agenda"),
    path("agenda/plans/<str:task_id>/", apis.PlanApi.as_view(), name="agenda-plan"),
    path("agenda/suggestions/", apis.SuggestionsApi.as_view(), name="agenda-suggestions"),
    path(
        "agenda/suggestions/<str:suggestion_id>/accept/",
        apis.AcceptApi.as_view(),
        name="agenda-suggestion-accept",
    ),
    path(
        "agenda/suggestions/<str:suggestion_id>/ignore/",
        apis.IgnoreApi.as_view(),
        name="agenda-suggestion-ignore",
    ),
]
