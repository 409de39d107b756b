"""Thin views of the cards API (`/api/habits/cards/…`). Only the owner sees a deck, note,
card or review: anyone else gets the 404 a missing id gets. Public decks are readable (search,
copy) by every signed-in person."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.openapi import error_response
from cotask_common.security.requests import SignedInRequest
from cotask_common.views import paginated, valid
from habits.cards import selectors, services, tasks
from habits.cards.serializers import (
    RATINGS,
    AnswerInput,
    CardOutput,
    DeckInput,
    DeckOutput,
    NoteInput,
    NoteOutput,
    ProfileInput,
    ProfileOutput,
    PublicDeckOutput,
    PublishInput,
    QueueQuery,
    ReviewOutput,
    SearchQuery,
    StatsQuery,
    card_json,
)


def _note(note_id: Any) -> Response:
    from habits.cards.models import Note

    note = Note.objects.prefetch_related("cards").get(id=note_id)
    return Response(NoteOutput(note).data)


# Rules across a note's fields, checked by the service (a 400 naming the field).
NOTE_RULES = (
    "A cloze note needs at least one cloze in `text`, like {{c1::answer}} (`no_cloze`); any "
    "other kind needs a non-blank `front` (`front_needed`)."
)


class DeckListApi(APIView):
    @extend_schema(responses=DeckOutput(many=True), summary="My decks")
    def get(self, request: SignedInRequest) -> Response:
        decks = selectors.decks_of(user=request.user)
        return paginated(self, request, decks, DeckOutput, ordering=("id",))

    @extend_schema(request=DeckInput, responses={201: DeckOutput}, summary="Create a deck")
    def post(self, request: SignedInRequest) -> Response:
        deck = services.deck_create(user=request.user, **valid(DeckInput, request.data))
        return Response(DeckOutput(deck).data, status=status.HTTP_201_CREATED)


class DeckDetailApi(APIView):
    @extend_schema(responses=DeckOutput, summary="A deck of mine")
    def get(self, request: SignedInRequest, deck_id: str) -> Response:
        return Response(DeckOutput(services.deck_of(user=request.user, deck_id=deck_id)).data)

    @extend_schema(request=DeckInput, responses=DeckOutput, summary="Edit a deck and its options")
    def patch(self, request: SignedInRequest, deck_id: str) -> Response:
        changes = valid(DeckInput, request.data, partial=True)
        deck = services.deck_update(user=request.user, deck_id=deck_id, changes=changes)
        return Response(DeckOutput(deck).data)

    @extend_schema(responses={204: None}, summary="Delete a deck with its sub-decks and cards")
    def delete(self, request: SignedInRequest, deck_id: str) -> Response:
        services.deck_delete(user=request.user, deck_id=deck_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeckNotesApi(APIView):
    @extend_schema(responses=NoteOutput(many=True), summary="The notes of a deck of mine")
    def get(self, request: SignedInRequest, deck_id: str) -> Response:
        notes = selectors.notes_of(user=request.user, deck_id=deck_id)
        return paginated(self, request, notes, NoteOutput, ordering=("id",))


class DeckCardsApi(APIView):
    @extend_schema(responses=CardOutput(many=True), summary="The cards of a deck of mine")
    def get(self, request: SignedInRequest, deck_id: str) -> Response:
        cards = selectors.cards_of(user=request.user, deck_id=deck_id)
        return paginated(self, request, cards, CardOutput, ordering=("id",))


class PublishApi(APIView):
    @extend_schema(
        request=PublishInput, responses=DeckOutput, summary="Make a deck public (or private)"
    )
    def post(self, request: SignedInRequest, deck_id: str) -> Response:
        public = valid(PublishInput, request.data)["public"]
        deck = services.deck_publish(user=request.user, deck_id=deck_id, public=public)
        return Response(DeckOutput(deck).data)


class PullApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "PullOutput",
                {"updated": serializers.IntegerField(), "added": serializers.IntegerField()},
            ),
            409: error_response(
                "Not a copy (`not_a_copy`), or the shared deck is no longer public (`origin_gone`)"
            ),
        },
        summary="Bring the author's later edits into my copy",
    )
    def post(self, request: SignedInRequest, deck_id: str) -> Response:
        return Response(services.deck_pull(user=request.user, deck_id=deck_id))


class PublicDeckListApi(APIView):
    @extend_schema(
        parameters=[SearchQuery],
        responses=PublicDeckOutput(many=True),
        summary="Search public decks",
    )
    def get(self, request: SignedInRequest) -> Response:
        query = valid(SearchQuery, request.query_params)
        decks = selectors.public_decks(query=query["q"], tag=query["tag"])
        return paginated(self, request, decks, PublicDeckOutput, ordering=("-published_at", "-id"))


class PublicDeckCopyApi(APIView):
    @extend_schema(
        request=None, responses={201: DeckOutput}, summary="Copy a public deck into my collection"
    )
    def post(self, request: SignedInRequest, deck_id: str) -> Response:
        deck = services.deck_copy(user=request.user, deck_id=deck_id)
        return Response(DeckOutput(deck).data, status=status.HTTP_201_CREATED)


class NoteListApi(APIView):
    @extend_schema(
        request=NoteInput,
        responses={201: NoteOutput},
        summary="Add a note (its cards are made)",
        description=NOTE_RULES,
    )
    def post(self, request: SignedInRequest) -> Response:
        data = valid(NoteInput, request.data)
        deck_id = data.pop("deck")
        note = services.note_create(user=request.user, deck_id=deck_id, **data)
        response = _note(note.id)
        response.status_code = status.HTTP_201_CREATED
        return response


class NoteDetailApi(APIView):
    @extend_schema(responses=NoteOutput, summary="A note of mine with its cards")
    def get(self, request: SignedInRequest, note_id: str) -> Response:
        return _note(services.note_of(user=request.user, note_id=note_id).id)

    @extend_schema(
        request=NoteInput,
        responses=NoteOutput,
        summary="Edit a note (cards follow)",
        description=NOTE_RULES,
    )
    def patch(self, request: SignedInRequest, note_id: str) -> Response:
        changes = valid(NoteInput, request.data, partial=True)
        note = services.note_update(user=request.user, note_id=note_id, changes=changes)
        return _note(note.id)

    @extend_schema(responses={204: None}, summary="Delete a note with its cards")
    def delete(self, request: SignedInRequest, note_id: str) -> Response:
        services.note_delete(user=request.user, note_id=note_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CardDetailApi(APIView):
    @extend_schema(responses=CardOutput, summary="A card of mine")
    def get(self, request: SignedInRequest, card_id: str) -> Response:
        return Response(CardOutput(services.card_of(user=request.user, card_id=card_id)).data)


class AnswerApi(APIView):
    @extend_schema(
        request=AnswerInput,
        responses={
            200: CardOutput,
            409: error_response("The card is suspended (`card_suspended`)"),
        },
        summary="Answer a card",
    )
    def post(self, request: SignedInRequest, card_id: str) -> Response:
        data = valid(AnswerInput, request.data)
        card, _review = services.card_answer(
            user=request.user,
            card_id=card_id,
            rating=RATINGS[data["rating"]],
            duration_ms=data["duration_ms"],
        )
        return Response(card_json(card))


def _card_action(action: str) -> type[APIView]:
    class CardActionApi(APIView):
        @extend_schema(request=None, responses=CardOutput, summary=f"{action.capitalize()} a card")
        def post(self, request: SignedInRequest, card_id: str) -> Response:
            user = request.user
            if action == "suspend":
                card = services.card_suspend(user=user, card_id=card_id, suspended=True)
            elif action == "unsuspend":
                card = services.card_suspend(user=user, card_id=card_id, suspended=False)
            elif action == "bury":
                card = services.card_bury(user=user, card_id=card_id)
            else:
                card = services.card_reset(user=user, card_id=card_id)
            return Response(CardOutput(card).data)

    CardActionApi.__name__ = f"Card{action.capitalize()}Api"
    return CardActionApi


SuspendApi = _card_action("suspend")
UnsuspendApi = _card_action("unsuspend")
BuryApi = _card_action("bury")
ResetApi = _card_action("reset")


class UndoApi(APIView):
    @extend_schema(
        request=None,
        responses={200: CardOutput, 404: error_response("No answer to undo (`nothing_to_undo`)")},
        summary="Undo my last answer",
    )
    def post(self, request: SignedInRequest) -> Response:
        return Response(CardOutput(services.review_undo(user=request.user)).data)


class ReviewListApi(APIView):
    @extend_schema(responses=ReviewOutput(many=True), summary="My review log, newest first")
    def get(self, request: SignedInRequest) -> Response:
        reviews = selectors.reviews_of(user=request.user)
        return paginated(self, request, reviews, ReviewOutput, ordering=("-reviewed_at", "-id"))


class QueueApi(APIView):
    @extend_schema(
        parameters=[QueueQuery],
        responses={
            200: inline_serializer(
                "QueueOutput",
                {
                    "day": serializers.DateField(),
                    "counts": inline_serializer(
                        "QueueCounts",
                        {
                            "new": serializers.IntegerField(),
                            "learning": serializers.IntegerField(),
                            "review": serializers.IntegerField(),
                        },
                    ),
                    "cards": CardOutput(many=True),
                },
            ),
            404: error_response("No deck of mine with this id (`deck_not_found`)"),
        },
        summary="Today's due queue: counts and the next cards",
    )
    def get(self, request: SignedInRequest) -> Response:
        query = valid(QueueQuery, request.query_params)
        queue = selectors.due_queue(
            user=request.user, deck_id=query.get("deck"), limit=query["limit"]
        )
        return Response(
            {
                "day": queue.today,
                "counts": queue.counts,
                "cards": [card_json(card) for card in queue.cards],
            }
        )


class StatsApi(APIView):
    @extend_schema(
        parameters=[StatsQuery],
        responses=OpenApiTypes.OBJECT,
        summary="Retention, forecast, states, stability, time spent, heatmap",
    )
    def get(self, request: SignedInRequest) -> Response:
        year = valid(StatsQuery, request.query_params).get("year")
        return Response(selectors.statistics(user=request.user, year=year))


class ProfileApi(APIView):
    @extend_schema(responses=ProfileOutput, summary="My card settings and FSRS parameters")
    def get(self, request: SignedInRequest) -> Response:
        return Response(ProfileOutput(services.profile_for(user_id=request.user.id)).data)

    @extend_schema(
        request=ProfileInput, responses=ProfileOutput, summary="Change my day start or reminder"
    )
    def patch(self, request: SignedInRequest) -> Response:
        changes = valid(ProfileInput, request.data, partial=True)
        return Response(
            ProfileOutput(services.profile_update(user=request.user, changes=changes)).data
        )


class OptimizeApi(APIView):
    @extend_schema(
        request=None, responses={202: ProfileOutput}, summary="Fit my FSRS parameters to my reviews"
    )
    def post(self, request: SignedInRequest) -> Response:
        profile = tasks.request_optimization(user_id=request.user.id)
        return Response(ProfileOutput(profile).data, status=status.HTTP_202_ACCEPTED)
