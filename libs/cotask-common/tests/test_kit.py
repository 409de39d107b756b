"""Small pieces of the kit: ids, database settings, the error format, request ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from cotask_common.db import database_settings
from cotask_common.errors import exception_handler
from cotask_common.ids import uuid7


def test_uuid7_is_version_7_and_sorts_by_creation():
    ids = [uuid7() for _ in range(2000)]
    assert all(value.version == 7 and value.variant == "specified in RFC 4122" for value in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_database_settings_choose_the_service_schema(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p%40ss@db.example:6543/cotask?sslmode=require")
    monkeypatch.delenv("DATABASE_SCHEMA", raising=False)
    config = database_settings(service="social", var_dir=tmp_path)
    assert config["ENGINE"] == "cotask_common.postgres"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", "6543", "cotask")
    assert config["PASSWORD"] == "p@ss"
    assert config["OPTIONS"] == {"options": "-c search_path=social", "sslmode": "require"}
    assert config["TEST"]["NAME"] == "test_cotask_social"


def test_database_settings_default_to_sqlite_under_var(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = database_settings(service="tasks", var_dir=tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == tmp_path / "tasks.sqlite3"


def test_database_settings_refuse_other_schemes(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("DATABASE_URL", "mysql://u:p@h/db")
    with pytest.raises(ValueError, match="postgres://"):
        database_settings(service="tasks", var_dir=tmp_path)


class _Nested(serializers.Serializer):
    title = serializers.CharField(max_length=5)


class _Input(serializers.Serializer):
    email = serializers.EmailField()
    items = _Nested(many=True)


def test_validation_errors_name_each_field_with_a_code():
    data = _Input(data={"email": "nope", "items": [{"title": "ok"}, {"title": "far too long"}]})
    with pytest.raises(serializers.ValidationError) as caught:
        data.is_valid(raise_exception=True)
    request = APIRequestFactory().post("/")
    request.request_id = "rid-1"
    response = exception_handler(caught.value, {"request": request})
    assert response.status_code == 400
    body = response.data
    assert body["code"] == "invalid"
    assert body["request_id"] == "rid-1"
    assert body["fields"]["email"] == [
        {"code": "invalid", "message": "Enter a valid email address."}
    ]
    assert body["fields"]["items.1.title"][0]["code"] == "max_length"
    assert "email: Enter a valid email address." in body["message"]


def test_a_malicious_request_id_is_replaced(client):
    response = client.get("/api/kit/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


def test_uuid7_at_carries_the_given_time():
    from cotask_common.ids import uuid7_at

    ms = 1_700_000_000_123
    value = uuid7_at(ms)
    assert value.version == 7
    assert value.int >> 80 == ms
    assert uuid7_at(ms) < uuid7_at(ms + 1)


def test_the_kafka_topic_prefix_comes_from_the_environment(monkeypatch, tmp_path: Path):
    from django.test import override_settings

    from cotask_common.events.bus import bus_from_settings
    from cotask_common.settings import build_settings

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", "bench.")
    built = build_settings(service="kit", base_dir=tmp_path, local_apps=[], title="t")
    assert built["COTASK_KAFKA_TOPIC_PREFIX"] == "bench."
    monkeypatch.delenv("KAFKA_TOPIC_PREFIX")
    assert (
        build_settings(service="kit", base_dir=tmp_path, local_apps=[], title="t")[
            "COTASK_KAFKA_TOPIC_PREFIX"
        ]
        == ""
    )
    with override_settings(
        COTASK_EVENT_BUS="kafka",
        COTASK_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
        COTASK_KAFKA_TOPIC_PREFIX="bench.",
    ):
        bus = bus_from_settings()
        try:
            assert bus.topic_prefix == "bench."
        finally:
            bus.close()
