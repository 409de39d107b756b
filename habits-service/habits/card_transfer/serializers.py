from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from habits.card_transfer.models import ImportJob, ImportKind
from habits.card_transfer.problems import message_for


class ImportInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    kind = serializers.ChoiceField(choices=ImportKind.choices, required=False)
    # A form cannot carry null: the deck is an id, or left out (not sent, never empty).
    deck = serializers.UUIDField(
        required=False,
        help_text="A deck of mine: where a CSV's cards go (needed); an .apkg's decks are made "
        "under it, or at the top without it",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("kind"):
            name = (attrs["file"].name or "").lower()
            if name.endswith(".apkg"):
                attrs["kind"] = ImportKind.APKG
            elif name.endswith((".csv", ".tsv", ".txt")):
                attrs["kind"] = ImportKind.CSV
            else:
                # A rule across fields (stated in the operation's description).
                raise serializers.ValidationError(
                    {"kind": _("Say whether the file is csv or apkg.")}, code="kind_needed"
                )
        return attrs


class ImportErrorOutput(serializers.Serializer):
    code = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class ImportOutput(serializers.ModelSerializer):
    deck = serializers.UUIDField(source="deck_id", allow_null=True)
    counts = serializers.SerializerMethodField()
    converted_models = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = (
            "id",
            "kind",
            "deck",
            "filename",
            "size",
            "status",
            "percent",
            "counts",
            "converted_models",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        )

    def get_counts(self, job: ImportJob) -> dict[str, int]:
        return dict((job.counts or {}).get("counts") or {})

    def get_converted_models(self, job: ImportJob) -> dict[str, int]:
        """Anki note types that are none of basic, basic-and-reversed or cloze: how many of
        their notes were imported as basic notes of their first two fields."""
        return dict((job.counts or {}).get("converted_models") or {})

    def get_error(self, job: ImportJob) -> dict[str, Any] | None:
        if not job.error_code:
            return None
        return {
            "code": job.error_code,
            "line": job.error_line,
            "message": message_for(job.error_code, job.error_params),
        }
