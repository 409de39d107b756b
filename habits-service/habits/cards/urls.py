from django.urls import path

from habits.cards import apis

urlpatterns = [
    path("cards/decks/", apis.DeckListApi.as_view(), name="card-decks"),
    path("cards/decks/<str:deck_id>/", apis.DeckDetailApi.as_view(), name="card-deck"),
    path("cards/decks/<str:deck_id>/notes/", apis.DeckNotesApi.as_view(), name="card-deck-notes"),
    path("cards/decks/<str:deck_id>/cards/", apis.DeckCardsApi.as_view(), name="card-deck-cards"),
    path("cards/decks/<str:deck_id>/publish/", apis.PublishApi.as_view(), name="card-deck-publish"),
    path("cards/decks/<str:deck_id>/pull/", apis.PullApi.as_view(), name="card-deck-pull"),
    path("cards/public/", apis.PublicDeckListApi.as_view(), name="card-public-decks"),
    path(
        "cards/public/<str:deck_id>/copy/",
        apis.PublicDeckCopyApi.as_view(),
        name="card-public-copy",
    ),
    path("cards/notes/", apis.NoteListApi.as_view(), name="card-notes"),
    path("cards/notes/<str:note_id>/", apis.NoteDetailApi.as_view(), name="card-note"),
    path("cards/queue/", apis.QueueApi.as_view(), name="card-queue"),
    path("cards/stats/", apis.StatsApi.as_view(), name="card-stats"),
    path("cards/reviews/", apis.ReviewListApi.as_view(), name="card-reviews"),
    path("cards/undo/", apis.UndoApi.as_view(), name="card-undo"),
    path("cards/settings/", apis.ProfileApi.as_view(), name="card-settings"),
    path("cards/settings/optimize/", apis.OptimizeApi.as_view(), name="card-optimize"),
    path("cards/cards/<str:card_id>/", apis.CardDetailApi.as_view(), name="card"),
    path("cards/cards/<str:card_id>/answer/", apis.AnswerApi.as_view(), name="card-answer"),
    path("cards/cards/<str:card_id>/suspend/", apis.SuspendApi.as_view(), name="card-suspend"),
    path(
        "cards/cards/<str:card_id>/unsuspend/", apis.UnsuspendApi.as_view(), name="card-unsuspend"
    ),
    path("cards/cards/<str:card_id>/bury/", apis.BuryApi.as_view(), name="card-bury"),
    path("cards/cards/<str:card_id>/reset/", apis.ResetApi.as_view(), name="card-reset"),
]
