"""Thin views of mentors and their reviews, under `/api/social/mentors/`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.errors import ServiceError
from cotask_common.openapi import error_response
from cotask_common.pagination import CursorPagination
from cotask_common.security.requests import SignedInRequest
from social.api import paginated, valid, viewer
from social.mentors import selectors, services
from social.mentors.models import LearningRequest
from social.mentors.serializers import (
    AnswerInput,
    MatchOutput,
    MentorOutput,
    OfferInput,
    OfferOutput,
    ProfileInput,
    RemoveInput,
    RequestInput,
    RequestOutput,
    ReviewEditInput,
    ReviewInput,
    ReviewOutput,
    SubjectOutput,
)
from social.mentors.subjects import SUBJECTS, subject_list

# A rule across fields of a learning request, stated in its operations' documents.
BUDGET_RULES = (
    "A budget (`budget_min`, `budget_max`) needs `currency`, a three-letter ISO 4217 code: "
    "else a 400 `currency_needed` naming `currency`; `budget_max` below `budget_min` is a "
    "400 `range_order` naming `budget_max`."
)


class ReadOpenMixin:
    """GET for anyone (anonymous callers see visible mentors); anything else signed in."""

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):  # type: ignore[attr-defined]
            return [AllowAny()]
        return [IsAuthenticated()]


class SubjectsApi(APIView):
    permission_classes = [AllowAny]
    paginated_list = False  # a short fixed list, not a cursor page

    @extend_schema(responses=SubjectOutput(many=True), summary="The curated subjects")
    def get(self, request: Request) -> Response:
        return Response(subject_list())


class MyProfileApi(APIView):
    @extend_schema(
        responses={200: MentorOutput, 404: error_response("You have no mentor profile")},
        summary="My mentor profile",
    )
    def get(self, request: SignedInRequest) -> Response:
        return Response(MentorOutput(selectors.my_profile(user_id=request.user.id)).data)

    @extend_schema(
        request=ProfileInput,
        responses=MentorOutput,
        summary="Set up or replace my profile",
        description="A price range gives both `price_min` and `price_max` or neither (else a "
        "400 `range_both` naming the missing one) and needs `currency`, a three-letter ISO 4217 "
        "code: else a 400 `currency_needed` naming `currency`; `price_max` below `price_min` is a "
        "400 `range_order` naming `price_max`.",
    )
    def put(self, request: SignedInRequest) -> Response:
        data = valid(ProfileInput, request.data)
        services.set_profile(user=request.user, **data)
        return Response(MentorOutput(selectors.my_profile(user_id=request.user.id)).data)

    @extend_schema(
        responses={204: None, 404: error_response("You have no mentor profile")},
        summary="Stop being listed as a mentor",
    )
    def delete(self, request: SignedInRequest) -> Response:
        services.withdraw_profile(user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _min_rating(raw: str | None) -> float | None:
    if raw is None:  # given empty is a 400, not left out
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not 1 <= value <= 5:
        raise ServiceError.for_field(
            "min_rating", gettext("A number from 1 to 5, got %(raw)s.") % {"raw": repr(raw)}
        )
    return value


def _flag(params: Any, name: str) -> bool:
    """A true/false parameter (absent: false); any other word is a 400 naming it."""
    raw = params.get(name)
    if raw is None:
        return False
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ServiceError.for_field(name, gettext("Must be a valid boolean."))


class MentorListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("subject", str, description="A subject code", enum=sorted(SUBJECTS)),
            OpenApiParameter(
                "language", {"type": "string", "pattern": r"\S"}, description="An ISO 639-1 code"
            ),
            OpenApiParameter(
                "min_rating",
                {"type": "number", "minimum": 1, "maximum": 5},
                description="Lowest average rating, 1 to 5",
            ),
            OpenApiParameter("active", bool, description="Only mentors active in the last 30 days"),
        ],
        responses=MentorOutput(many=True),
        summary="Mentors, best ranked first",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        subject = params.get("subject")
        if subject is not None and subject not in SUBJECTS:
            raise ServiceError.for_field(
                "subject", gettext("Unknown code: %(codes)s.") % {"codes": repr(subject)}
            )
        language = params.get("language")
        if language is not None and not language.strip():
            raise ServiceError.for_field("language", gettext("This field may not be blank."))
        rows = selectors.mentors(
            viewer=viewer(request),
            subject=subject,
            language=language.strip().lower() if language else None,
            min_rating=_min_rating(params.get("min_rating")),
            active=_flag(params, "active"),
        )
        return paginated(self, request, rows, MentorOutput, ordering=("-rank", "-id"))


class MentorDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=MentorOutput, summary="A mentor by user id, page id or handle")
    def get(self, request: Request, ref: str) -> Response:
        return Response(MentorOutput(selectors.mentor_by_ref(ref=ref, viewer=viewer(request))).data)


class MentorReviewsApi(ReadOpenMixin, APIView):
    @extend_schema(responses=ReviewOutput(many=True), summary="A mentor's reviews, newest first")
    def get(self, request: Request, ref: str) -> Response:
        mentor = selectors.mentor_by_ref(ref=ref, viewer=viewer(request))
        return paginated(self, request, selectors.reviews_of(mentor=mentor), ReviewOutput)

    @extend_schema(request=ReviewInput, responses={201: ReviewOutput}, summary="Review a mentor")
    def post(self, request: SignedInRequest, ref: str) -> Response:
        mentor = selectors.mentor_by_ref(ref=ref, viewer=viewer(request))
        data = valid(ReviewInput, request.data)
        review = services.create_review(mentor=mentor, student_id=request.user.id, **data)
        return Response(_review_out(review.id, request), status=status.HTTP_201_CREATED)


def _review_out(review_id: UUID, request: Request) -> Any:
    return ReviewOutput(selectors.review_for(review_id=review_id, viewer=viewer(request))).data


class BestReviewsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ReviewOutput(many=True), summary="Best reviews, for the main page")
    def get(self, request: Request) -> Response:
        return paginated(
            self, request, selectors.best_reviews(viewer=viewer(request)), ReviewOutput
        )


class ReviewApi(ReadOpenMixin, APIView):
    @extend_schema(responses=ReviewOutput, summary="A review")
    def get(self, request: Request, review_id: UUID) -> Response:
        return Response(_review_out(review_id, request))

    @extend_schema(request=ReviewEditInput, responses=ReviewOutput, summary="Edit my review")
    def patch(self, request: SignedInRequest, review_id: UUID) -> Response:
        review = selectors.review_for(review_id=review_id, viewer=viewer(request))
        data = valid(ReviewEditInput, request.data, partial=True)
        services.update_review(review=review, actor_id=request.user.id, **data)
        return Response(_review_out(review_id, request))

    @extend_schema(responses={204: None}, summary="Delete my review")
    def delete(self, request: SignedInRequest, review_id: UUID) -> Response:
        review = selectors.review_for(review_id=review_id, viewer=viewer(request))
        services.delete_review(review=review, actor_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnswerApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=AnswerInput, responses=ReviewOutput, summary="Answer a review of me")
    def post(self, request: SignedInRequest, review_id: UUID) -> Response:
        review = selectors.review_for(review_id=review_id, viewer=viewer(request))
        data = valid(AnswerInput, request.data)
        services.answer_review(review=review, actor_id=request.user.id, text=data["text"])
        return Response(_review_out(review_id, request))


class RemoveApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RemoveInput, responses=ReviewOutput, summary="Remove (moderators)")
    def post(self, request: SignedInRequest, review_id: UUID) -> Response:
        review = selectors.review_for(review_id=review_id, viewer=viewer(request))
        data = valid(RemoveInput, request.data)
        services.remove_review(review=review, viewer=viewer(request), reason=data["reason"])
        return Response(_review_out(review_id, request))


# ---------------------------------------------------------------------------------------------
# Learning requests, under `/api/social/learning-requests/`


def _request_out(request_id: UUID, request: Request) -> Any:
    return RequestOutput(selectors.request_for(request_id=request_id, viewer=viewer(request))).data


class RequestsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=RequestInput,
        responses={201: RequestOutput},
        summary="Post a learning request",
        description=BUDGET_RULES,
    )
    def post(self, request: SignedInRequest) -> Response:
        data = valid(RequestInput, request.data)
        created = services.create_request(author_id=request.user.id, **data)
        return Response(_request_out(created.id, request), status=status.HTTP_201_CREATED)


class MyRequestsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, enum=list(LearningRequest.Status.values), description="default all"
            )
        ],
        responses=RequestOutput(many=True),
        summary="My learning requests, newest first",
    )
    def get(self, request: SignedInRequest) -> Response:
        wanted = request.query_params.get("status")  # given empty is a 400
        if wanted is not None and wanted not in LearningRequest.Status.values:
            raise ServiceError.for_field(
                "status",
                gettext("Must be one of: %(choices)s.")
                % {"choices": ", ".join(LearningRequest.Status.values)},
            )
        rows = selectors.my_requests(user_id=request.user.id, status=wanted)
        return paginated(self, request, rows, RequestOutput)


class RequestsForMeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=RequestOutput(many=True),
        summary="Open requests of the subjects I teach, newest first",
    )
    def get(self, request: SignedInRequest) -> Response:
        rows = selectors.requests_for_mentor(viewer=viewer(request))
        return paginated(self, request, rows, RequestOutput)


class RequestApi(ReadOpenMixin, APIView):
    @extend_schema(responses=RequestOutput, summary="A learning request")
    def get(self, request: Request, request_id: UUID) -> Response:
        return Response(_request_out(request_id, request))

    @extend_schema(
        request=RequestInput,
        responses={
            200: RequestOutput,
            409: error_response("The request is no longer open (`request_closed`)"),
        },
        summary="Edit my open request",
        description=BUDGET_RULES,
    )
    def patch(self, request: SignedInRequest, request_id: UUID) -> Response:
        found = selectors.request_for(request_id=request_id, viewer=viewer(request))
        data = valid(RequestInput, request.data, partial=True)
        services.update_request(request=found, actor_id=request.user.id, **data)
        return Response(_request_out(request_id, request))


class CloseRequestApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: RequestOutput,
            409: error_response("The request is no longer open (`request_closed`)"),
        },
        summary="Close (withdraw) my request",
    )
    def post(self, request: SignedInRequest, request_id: UUID) -> Response:
        found = selectors.request_for(request_id=request_id, viewer=viewer(request))
        services.close_request(request=found, actor_id=request.user.id)
        return Response(_request_out(request_id, request))


class MatchesApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=MatchOutput(many=True),
        summary="Mentors matching a request, best first, each with the reasons",
    )
    def get(self, request: Request, request_id: UUID) -> Response:
        found = selectors.request_for(request_id=request_id, viewer=viewer(request))
        # A first page reads only the mentors that can be on it (and the one after, which
        # tells whether there is a next page); a later page reads the whole ranking.
        rows: Any
        if "cursor" not in request.query_params:
            first = CursorPagination().get_page_size(request) + 1
            rows = selectors.first_matches(request=found, viewer=viewer(request), first=first)
        else:
            rows = selectors.matching_mentors(request=found, viewer=viewer(request))
        return paginated(
            self,
            request,
            rows,
            MatchOutput,
            ordering=("-match_score", "-id"),
            context={"learning_request": found},
        )


class OffersApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=OfferOutput(many=True),
        summary="A request's offers (all for its author, one's own for a mentor)",
    )
    def get(self, request: SignedInRequest, request_id: UUID) -> Response:
        found = selectors.request_for(request_id=request_id, viewer=viewer(request))
        rows = selectors.offers_on(request=found, viewer=viewer(request))
        return paginated(self, request, rows, OfferOutput)

    @extend_schema(
        request=OfferInput,
        responses={
            201: OfferOutput,
            409: error_response(
                "The request is no longer open (`request_closed`), or I have an open offer on "
                "it (`already_offered`)"
            ),
        },
        summary="Offer to teach",
        description="A `price` needs `currency`, a three-letter ISO 4217 code: else a 400 "
        "`currency_needed` naming `currency`.",
    )
    def post(self, request: SignedInRequest, request_id: UUID) -> Response:
        found = selectors.request_for(request_id=request_id, viewer=viewer(request))
        data = valid(OfferInput, request.data)
        offer = services.create_offer(request=found, mentor_user_id=request.user.id, **data)
        return Response(
            OfferOutput(selectors.offer_for(offer_id=offer.id)).data,
            status=status.HTTP_201_CREATED,
        )


class AcceptOfferApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: OfferOutput,
            409: error_response(
                "The request is no longer open (`request_closed`), or the offer (`offer_closed`)"
            ),
        },
        summary="Accept an offer on my request",
    )
    def post(self, request: SignedInRequest, request_id: UUID, offer_id: UUID) -> Response:
        found = selectors.request_for(request_id=request_id, viewer=viewer(request))
        offer = services.accept_offer(request=found, offer_id=offer_id, actor_id=request.user.id)
        return Response(OfferOutput(selectors.offer_for(offer_id=offer.id)).data)
