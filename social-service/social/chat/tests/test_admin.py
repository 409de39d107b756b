"""Chat in Django admin: every model's changelist, search, filters and change page load for a
superuser, nothing can be added or edited there, and a linked moderator deletes a message for
everyone through the changelist's action (announced like the API's deletion)."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

API = "/api/social/chat"


@pytest.fixture
def data(member: Any) -> dict[str, Any]:
    ada, bob = member("ada"), member("bob")
    bob.put(f"{API}/settings/", {"who_may_message": "everyone"}, format="json")
    conversation = ada.post(f"{API}/direct/", {"user_id": str(bob.user.id)}, format="json").json()
    message = ada.post(
        f"{API}/conversations/{conversation['id']}/messages/", {"text": "ada here"}, format="json"
    ).json()
    bob.put(
        f"{API}/conversations/{conversation['id']}/messages/{message['id']}/reaction/",
        {"emoji": "👍"},
        format="json",
    )
    return {"conversation": conversation, "message": message, "ada": ada, "bob": bob}


@pytest.mark.parametrize(
    "model", list(apps.get_app_config("social_chat").get_models()), ids=lambda m: m.__name__
)
def test_changelist_and_change_pages_load_read_only(
    admin_client: Any, data: dict, model: Any
) -> None:
    assert model in admin.site._registry
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200 and response.context["cl"].result_count >= 1
    assert admin_client.get(changelist, {"q": "ada"}).status_code == 200
    obj = model.objects.first()
    page = admin_client.get(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    )
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert (
        admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code
        == 403
    )


def test_a_moderator_deletes_a_message_for_everyone(
    client: Any, data: dict, make_user: Any, published_events: Any
) -> None:
    from django.contrib.auth import get_user_model

    make_user(role="moderator", username="mod")
    staff = get_user_model().objects.create_user("mod", password="pw-123456", is_staff=True)
    client.force_login(staff)
    message_id = data["message"]["id"]
    url = reverse("admin:social_chat_message_changelist")
    response = client.post(url, {"action": "delete_for_everyone", "_selected_action": [message_id]})
    assert response.status_code == 302
    [event] = published_events("social.chat.message_deleted")
    assert event.data["message_id"] == message_id
    history = (
        data["bob"]
        .get(f"{API}/conversations/{data['conversation']['id']}/messages/")
        .json()["results"]
    )
    assert history[0]["deleted"] is True and history[0]["text"] == ""
