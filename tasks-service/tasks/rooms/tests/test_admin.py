"""Django admin of rooms: rooms (members inline), labels and the membership history load for a
superuser, searched too; rooms cannot be added or deleted there and the history is read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse

from tasks.rooms.models import Label, MembershipChange, Room
from tasks.rooms.tests.conftest import Cast

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Room, Label, MembershipChange], ids=lambda m: m.__name__)
def test_changelists_and_change_pages_load(admin_client: Any, cast: Cast, model: Any) -> None:
    Label.objects.create(room=cast.room, name="bug")
    assert model in admin.site._registry
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    assert admin_client.get(changelist, {"q": "Team"}).status_code == 200
    obj = model.objects.first()
    page = admin_client.get(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    )
    assert page.status_code == 200
    if model is MembershipChange:
        assert page.context["has_change_permission"] is False
    if model in (Room, MembershipChange):
        assert page.context["has_delete_permission"] is False
        add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        assert admin_client.get(add).status_code == 403


def test_the_room_page_lists_its_members(admin_client: Any, cast: Cast) -> None:
    page = admin_client.get(reverse("admin:rooms_room_change", args=[cast.room.pk]))
    text = page.content.decode()
    for username in ("owner", "admin", "member", "viewer"):
        assert username in text
    assert cast.room.join_code in text
