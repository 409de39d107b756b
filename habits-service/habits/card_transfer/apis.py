"""Thin views of card import and export. Only the owner sees an import; a deck is exported
for its owner, or for anyone signed in when it is public; anything else is the 404 a missing
id gets."""

from __future__ import annotations

import re

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.security.requests import SignedInRequest
from cotask_common.views import paginated, valid
from habits.card_transfer import apkg_writer, csv_format, selectors, services
from habits.card_transfer.serializers import ImportInput, ImportOutput


class ImportListApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=ImportOutput(many=True), summary="My card imports, newest first")
    def get(self, request: SignedInRequest) -> Response:
        jobs = selectors.imports_of(user=request.user)
        return paginated(self, request, jobs, ImportOutput, ordering=("-id",))

    @extend_schema(
        request={"multipart/form-data": ImportInput},
        responses={
            202: ImportOutput,
            404: OpenApiResponse(description="No deck of mine with this id (`deck_not_found`)"),
        },
        summary="Import cards from a CSV or Anki .apkg file (runs in the background)",
        description="Without `kind`, the file's name tells it (.apkg; .csv, .tsv or .txt); any "
        "other name needs `kind` (a 400 `kind_needed` naming `kind`). A CSV file needs `deck` "
        "(`deck_needed`).",
    )
    def post(self, request: SignedInRequest) -> Response:
        data = valid(ImportInput, request.data)
        upload = data["file"]
        job = services.import_create(
            user=request.user,
            kind=data["kind"],
            data=services.read_upload(upload),
            filename=upload.name or "",
            deck_id=data.get("deck"),
        )
        job.refresh_from_db()  # an eager worker (tests, CELERY_TASK_ALWAYS_EAGER) ran it already
        return Response(ImportOutput(job).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(APIView):
    @extend_schema(responses=ImportOutput, summary="An import's progress and result")
    def get(self, request: SignedInRequest, job_id: str) -> Response:
        return Response(ImportOutput(selectors.import_of(user=request.user, job_id=job_id)).data)


def _filename(name: str, extension: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "deck"
    return f"{safe[:80]}.{extension}"


class DeckCsvExportApi(APIView):
    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The deck's notes as CSV (front, back, tags)",
    )
    def get(self, request: SignedInRequest, deck_id: str) -> HttpResponse:
        deck = selectors.readable_deck(user=request.user, deck_id=deck_id)
        tree = [(deck, deck.name)]
        body = csv_format.write_csv(
            (note.fields[0], note.fields[1], list(note.tags))
            for note in selectors.export_notes(tree=tree)
        )
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(deck.name, "csv")}"'
        return response


class DeckApkgExportApi(APIView):
    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The deck with its sub-decks as an Anki package (.apkg)",
    )
    def get(self, request: SignedInRequest, deck_id: str) -> HttpResponse:
        deck = selectors.readable_deck(user=request.user, deck_id=deck_id)
        tree = selectors.deck_tree(deck=deck, user=request.user)
        body = apkg_writer.write_apkg(
            decks=[(str(d.id), name) for d, name in tree],
            notes=selectors.export_notes(tree=tree),
        )
        response = HttpResponse(body, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{_filename(deck.name, "apkg")}"'
        return response
