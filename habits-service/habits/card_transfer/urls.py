from django.urls import path

from habits.card_transfer import apis

urlpatterns = [
    path("cards/imports/", apis.ImportListApi.as_view(), name="card-imports"),
    path("cards/imports/<str:job_id>/", apis.ImportDetailApi.as_view(), name="card-import"),
    path(
        "cards/decks/<str:deck_id>/export.csv",
        apis.DeckCsvExportApi.as_view(),
        name="deck-export-csv",
    ),
    path(
        "cards/decks/<str:deck_id>/export.apkg",
        apis.DeckApkgExportApi.as_view(),
        name="deck-export-apkg",
    ),
]
