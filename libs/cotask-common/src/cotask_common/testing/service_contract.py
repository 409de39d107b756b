"""What every CoTask service must do, as tests. A service's suite imports them:

    from cotask_common.testing.service_contract import *  # noqa: F403

and they run against that service's own settings, URLs and database.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from cotask_common.contracts import SERVICES
from cotask_common.contracts import registry as contracts
from cotask_common.events.consumer import autodiscover_handlers, handle_event
from cotask_common.events.consumer import registry as handlers
from cotask_common.events.testing import example_event
from cotask_common.security.signing import standard_claims
from cotask_common.testing.token_attacks import attack_tokens
from cotask_common.testing.translations import (
    catalogue_problems,
    source_messages,
    unmarked_messages,
)

__all__ = [
    "test_405_answers_name_the_allowed_methods",
    "test_a_bad_page_size_or_cursor_is_a_400_naming_it",
    "test_admin_login_page_is_served",
    "test_an_accounts_first_request_before_its_registration_event_makes_its_user_ref",
    "test_an_unreachable_database_answers_503_in_the_error_shape",
    "test_an_unreachable_dependency_is_a_503_from_views_and_from_the_500_handler",
    "test_every_forged_or_broken_token_is_refused",
    "test_every_handled_event_type_is_declared_and_handled_in_each_version",
    "test_every_message_for_people_is_marked_for_translation",
    "test_every_operation_has_valid_request_and_response_examples",
    "test_every_operation_is_documented_completely",
    "test_every_text_of_the_service_is_translated_and_compiled",
    "test_healthz_answers_without_database",
    "test_migrations_are_committed",
    "test_openapi_schema_and_docs_are_served",
    "test_readyz_reports_each_dependency",
    "test_the_document_is_generated_without_warnings",
    "test_whoami_refuses_a_banned_user",
    "test_whoami_refuses_a_deactivated_user_until_reactivated",
    "test_whoami_refuses_a_deleted_user",
    "test_whoami_requires_a_token",
    "test_whoami_returns_the_caller",
    "test_whoami_uses_the_projected_role_after_a_role_change",
]


def _prefix() -> str:
    return f"/api/{settings.COTASK_SERVICE}"


def test_healthz_answers_without_database(client: Any) -> None:
    response = client.get(f"{_prefix()}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": settings.COTASK_SERVICE}
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client: Any) -> None:
    response = client.get(f"{_prefix()}/readyz", HTTP_X_REQUEST_ID="probe-123")
    body = response.json()
    assert response.status_code == 200, body
    assert {"database", "event_bus", "cache"} <= set(body["checks"])
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert response["X-Request-ID"] == "probe-123"


@pytest.mark.django_db
def test_whoami_requires_a_token(api_client: Any) -> None:
    response = api_client.get(f"{_prefix()}/whoami")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_whoami_returns_the_caller(client_for: Any, make_user: Any) -> None:
    user = make_user(username="ada", role="moderator")
    response = client_for(user).get(f"{_prefix()}/whoami")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["username"] == "ada"
    assert body["role"] == "moderator"
    assert body["service"] == settings.COTASK_SERVICE
    assert body["known_locally"] is True


@pytest.mark.django_db
def test_every_forged_or_broken_token_is_refused(
    api_client: Any, make_user: Any, trust_test_keys: Any
) -> None:
    user = make_user()
    claims = standard_claims(
        user_id=user.id,
        username=user.username,
        role="user",
        email_verified=True,
        session_id=uuid.uuid4().hex,
        token_type="access",
        lifetime=timedelta(minutes=5),
        issuer=settings.COTASK_JWT_ISSUER,
        audience=settings.COTASK_JWT_AUDIENCE,
    )
    attacks = attack_tokens(
        private_key=trust_test_keys.private_key, kid=trust_test_keys.kid, claims=claims
    )
    outcomes = {}
    for attack in attacks:
        response = api_client.get(
            f"{_prefix()}/whoami", HTTP_AUTHORIZATION=f"Bearer {attack.token}"
        )
        outcomes[attack.name] = (response.status_code, response.json().get("code"))
    expected = {attack.name: (attack.status, attack.code) for attack in attacks}
    assert outcomes == expected


@pytest.mark.django_db
def test_whoami_refuses_a_banned_user(client_for: Any, make_user: Any) -> None:
    until = timezone.now() + timedelta(days=3)
    user = make_user(is_banned=True, banned_until=until, ban_reason="spam")
    response = client_for(user).get(f"{_prefix()}/whoami")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "user_banned"
    assert "spam" in body["message"] and str(until.year) in body["message"]


@pytest.mark.django_db
def test_whoami_refuses_a_deactivated_user_until_reactivated(
    client_for: Any, make_user: Any
) -> None:
    # Through the same path as the events from auth-service (`is_active` in Django admin).
    from cotask_common.users.events import USER_EVENT_TYPES
    from cotask_common.users.selectors import invalidate_restrictions
    from cotask_common.users.services import apply_user_event

    assert {"auth.user.deactivated", "auth.user.reactivated"} <= set(USER_EVENT_TYPES)
    user = make_user()
    client = client_for(user)  # its token stays valid throughout
    assert client.get(f"{_prefix()}/whoami").status_code == 200
    for verb, status, active in (("deactivated", 403, False), ("reactivated", 200, True)):
        apply_user_event(
            event_type=f"auth.user.{verb}",
            user_id=user.id,
            data={"id": str(user.id), "username": user.username, "is_active": active},
            occurred_at=timezone.now(),
        )
        invalidate_restrictions()
        response = client.get(f"{_prefix()}/whoami")
        assert response.status_code == status, (verb, response.json())
        if not active:
            assert response.json()["code"] == "user_inactive"


@pytest.mark.django_db
def test_whoami_refuses_a_deleted_user(client_for: Any, make_user: Any) -> None:
    user = make_user(is_deleted=True)
    response = client_for(user).get(f"{_prefix()}/whoami")
    assert response.status_code == 401
    assert response.json()["code"] == "user_deleted"


@pytest.mark.django_db
def test_whoami_uses_the_projected_role_after_a_role_change(
    client_for: Any, make_user: Any
) -> None:
    # The token still says admin, but auth-service has since announced a demotion.
    user = make_user(role="user", role_changed_at=timezone.now())
    response = client_for(user, role="admin").get(f"{_prefix()}/whoami")
    assert response.status_code == 200
    assert response.json()["role"] == "user"


def test_openapi_schema_and_docs_are_served(client: Any) -> None:
    schema = client.get(f"{_prefix()}/schema/?format=json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert f"{_prefix()}/whoami" in document["paths"]
    docs = client.get(f"{_prefix()}/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_every_operation_is_documented_completely() -> None:
    from drf_spectacular.generators import SchemaGenerator

    from cotask_common.testing.openapi import document_problems

    document = SchemaGenerator().get_schema(request=None, public=True)
    problems = document_problems(document, service=settings.COTASK_SERVICE)
    assert not problems, "\n".join(problems)


def test_every_operation_has_valid_request_and_response_examples() -> None:
    # Every body and every answer with content has an example, valid against its own schema.
    from drf_spectacular.generators import SchemaGenerator

    from cotask_common.testing.openapi import example_problems

    document = SchemaGenerator().get_schema(request=None, public=True)
    problems = example_problems(document)
    assert not problems, "\n".join(problems)


def test_the_document_is_generated_without_warnings() -> None:
    # drf-spectacular warns where the document is likely wrong (two components of one name, one
    # hiding the other) or reads badly in a generated client (an enum named `StatusD38Enum`).
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    warned = sorted(GENERATOR_STATS._warn_cache) + sorted(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert not warned, "\n".join(warned)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page_size=null", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=2.5", "page_size"),
        ("cursor=not-a-cursor", "cursor"),
    ],
)
def test_a_bad_page_size_or_cursor_is_a_400_naming_it(query: str, parameter: str) -> None:
    # The kit's `paginated` list, which every service's lists go through (each service also
    # tests a few of its own lists).
    from rest_framework import serializers as drf_serializers
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from cotask_common.users.models import UserRef
    from cotask_common.views import paginated

    class Row(drf_serializers.Serializer):
        id = drf_serializers.UUIDField()

    class Rows(APIView):
        authentication_classes: list[Any] = []
        permission_classes: list[Any] = []

        def get(self, request: Any) -> Any:
            return paginated(self, request, UserRef.objects.all(), Row)

    response = Rows.as_view()(APIRequestFactory().get(f"/rows/?{query}"))
    assert response.status_code == 400, response.data
    assert response.data["code"] == "invalid"
    assert parameter in response.data["fields"]


@pytest.mark.django_db
def test_405_answers_name_the_allowed_methods(client_for: Any, make_user: Any) -> None:
    response = client_for(make_user()).delete(f"{_prefix()}/whoami")
    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "OPTIONS"}
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_admin_login_page_is_served(client: Any) -> None:
    response = client.get(f"/admin/{settings.COTASK_SERVICE}/login/")
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


@pytest.mark.django_db
def test_migrations_are_committed() -> None:
    # Exits non-zero (SystemExit) when a model change has no migration yet.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_every_handled_event_type_is_declared_and_handled_in_each_version() -> None:
    """The consumer side of the event contracts: each type this service handles is declared by
    its producer, names this service among its consumers (so docs/events.md says who does
    what), and every declared version of it, built from the producer's declaration, goes
    through this service's handlers without an error. A declared consumer without a handler
    fails too."""
    autodiscover_handlers()
    service = settings.COTASK_SERVICE
    problems: list[str] = []
    handled = handlers.types()
    for event_type in handled:
        versions = contracts.versions(event_type)
        if not versions:
            problems.append(f"{event_type}: handled here, but no producer declares it")
            continue
        if service in SERVICES and service not in contracts.get(event_type).consumers:
            problems.append(f"{event_type}: handled here, but {service} is not a declared consumer")
        for version in versions:
            # Every key, and (when some are optional) only the required ones.
            optional = contracts.get(event_type, version).payload.__optional_keys__
            for full in (True, False) if optional else (True,):
                event = example_event(event_type, version, optional=full)
                try:
                    assert handle_event(event) is True, "no handler ran"
                except Exception as exc:  # every failing type is reported, not only the first
                    shape = "" if full else " (required keys only)"
                    problems.append(f"{event_type} v{version}{shape}: {type(exc).__name__}: {exc}")
    for declaration in contracts.all():
        if service in declaration.consumers and declaration.type not in handled:
            problems.append(f"{declaration.type}: declares {service} a consumer; no handler here")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_an_accounts_first_request_before_its_registration_event_makes_its_user_ref(
    api_client: Any, make_token: Any
) -> None:
    """A new account acting before `auth.user.registered` arrives (the bus is seconds behind)
    has a UserRef from its token's claims, so what it writes can refer to it; it counts as
    known here only once auth's event is applied, which then sets what it carries."""
    from types import SimpleNamespace

    from django.utils import timezone

    from cotask_common.users.models import UserRef
    from cotask_common.users.services import apply_user_event

    account = SimpleNamespace(id=uuid.uuid4(), username="newcomer", role="user")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(account)}")
    response = api_client.get(f"{_prefix()}/whoami")
    assert response.status_code == 200
    assert response.json()["known_locally"] is False
    ref = UserRef.objects.get(id=account.id)
    assert (ref.username, ref.role, ref.source_version) == ("newcomer", "user", None)
    apply_user_event(
        event_type="auth.user.registered",
        user_id=account.id,
        data={"username": "newcomer", "display_name": "New Comer", "role": "user"},
        occurred_at=timezone.now(),
    )
    assert api_client.get(f"{_prefix()}/whoami").json()["known_locally"] is True
    assert UserRef.objects.get(id=account.id).display_name == "New Comer"


def test_every_text_of_the_service_is_translated_and_compiled() -> None:
    """Each text the service's code marks for translation is in its catalogue (LOCALE_PATHS),
    translated to ru and uk with the same placeholders, and the committed `.mo` is current."""
    from pathlib import Path

    locale = Path(settings.LOCALE_PATHS[0])
    code = Path(getattr(settings, "BASE_DIR")) / getattr(settings, "COTASK_SERVICE")  # noqa: B009
    if not source_messages([code]) and not locale.exists():
        pytest.skip("the service has no texts to translate yet")
    assert catalogue_problems(locale, sources=[code]) == []


def test_every_message_for_people_is_marked_for_translation() -> None:
    """No text a person reads (error messages, field errors, `default_detail`,
    `error_messages`, …) is a plain string or f-string: each goes through gettext, so it is
    answered in the person's language. `# i18n-ok: <why>` on the line keeps one as it is."""
    from pathlib import Path

    code = Path(getattr(settings, "BASE_DIR")) / getattr(settings, "COTASK_SERVICE")  # noqa: B009
    assert unmarked_messages([code]) == []


def _outage_answer(response: Any, language: str) -> None:
    """A 503 in the one error shape, with Retry-After and the message in `language`."""
    from django.utils import translation

    from cotask_common.outages import RETRY_AFTER_SECONDS, unavailable_message

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["code"] == "service_unavailable"
    with translation.override(language):
        assert body["message"] == unavailable_message()
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_answers_503_in_the_error_shape(
    client_for: Any, make_user: Any
) -> None:
    """PostgreSQL (or SQLite's file) gone mid-flight: a signed-in request, whose first use of
    the database is the account check, answers 503, translated, with Retry-After."""
    from django.db import connection

    from cotask_common.testing.outages import database_unreachable

    client = client_for(make_user())
    with database_unreachable(connection):
        response = client.get(f"{_prefix()}/whoami", HTTP_ACCEPT_LANGUAGE="uk")
    _outage_answer(response, "uk")


@pytest.mark.parametrize("dependency", ["database", "redis", "broker", "storage"])
@pytest.mark.django_db
def test_an_unreachable_dependency_is_a_503_from_views_and_from_the_500_handler(
    dependency: str, caplog: Any
) -> None:
    """Each dependency's real client, pointed at a port nobody listens on, fails as in an
    outage: a REST view (the service's exception handler) and anything else (its 500 handler:
    middleware, admin) answer 503; the log names the dependency."""
    from django.urls import get_resolver
    from django.utils import translation
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from cotask_common.testing.outages import fail_reaching

    class Probe(APIView):
        authentication_classes: list[Any] = []
        permission_classes: list[Any] = []

        def get(self, request: Any) -> Any:
            fail_reaching(dependency)

    request = APIRequestFactory().get("/probe", HTTP_ACCEPT_LANGUAGE="ru")
    with translation.override("ru"):
        _outage_answer(Probe.as_view()(request).render(), "ru")
        try:
            fail_reaching(dependency)
        except Exception:
            response = get_resolver().resolve_error_handler(500)(request)
        _outage_answer(response, "ru")
    answered = [
        r.getMessage()
        for r in caplog.records
        if r.name == "cotask.outages" and "answered 503" in r.getMessage()
    ]
    assert len(answered) == 2
    assert all(line.startswith(f"{dependency} unavailable") for line in answered)
