from django.urls import path

from tasks.concretizer import apis

urlpatterns = [
    path("concretize/", apis.ConcretizeApi.as_view(), name="concretize"),
    path("concretize/<str:plan_id>/", apis.PlanApi.as_view(), name="concretize-plan"),
    path(
        "concretize/<str:plan_id>/answers/",
        apis.AnswersApi.as_view(),
        name="concretize-answers",
    ),
    path(
        "concretize/<str:plan_id>/steps/<int:step>/concretize/",
        apis.BreakdownApi.as_view(),
        name="concretize-step",
    ),
    path("concretize/<str:plan_id>/accept/", apis.AcceptApi.as_view(), name="concretize-accept"),
]
