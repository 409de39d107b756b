from django.urls import path

from social.mentors import apis

R = "mentors/reviews/<uuid:review_id>/"
L = "learning-requests/<uuid:request_id>/"

urlpatterns = [
    path("mentors/", apis.MentorListApi.as_view(), name="mentors"),
    path("mentors/subjects/", apis.SubjectsApi.as_view(), name="mentor-subjects"),
    path("mentors/me/", apis.MyProfileApi.as_view(), name="mentor-me"),
    path("mentors/reviews/best/", apis.BestReviewsApi.as_view(), name="mentor-reviews-best"),
    path(R, apis.ReviewApi.as_view(), name="mentor-review"),
    path(R + "answer/", apis.AnswerApi.as_view(), name="mentor-review-answer"),
    path(R + "remove/", apis.RemoveApi.as_view(), name="mentor-review-remove"),
    path("mentors/<str:ref>/", apis.MentorDetailApi.as_view(), name="mentor"),
    path("mentors/<str:ref>/reviews/", apis.MentorReviewsApi.as_view(), name="mentor-reviews"),
    path("learning-requests/", apis.RequestsApi.as_view(), name="learning-requests"),
    path("learning-requests/mine/", apis.MyRequestsApi.as_view(), name="learning-requests-mine"),
    path(
        "learning-requests/for-me/",
        apis.RequestsForMeApi.as_view(),
        name="learning-requests-for-me",
    ),
    path(L, apis.RequestApi.as_view(), name="learning-request"),
    path(L + "close/", apis.CloseRequestApi.as_view(), name="learning-request-close"),
    path(L + "matches/", apis.MatchesApi.as_view(), name="learning-request-matches"),
    path(L + "offers/", apis.OffersApi.as_view(), name="learning-request-offers"),
    path(
        L + "offers/<uuid:offer_id>/accept/",
        apis.AcceptOfferApi.as_view(),
        name="learning-request-accept",
    ),
]
