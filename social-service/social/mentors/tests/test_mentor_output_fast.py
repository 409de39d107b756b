"""The lists of mentors and of matches are built directly (`mentor_data`), not field by field:
each row equals what `MentorOutput` / `MatchOutput` give for it alone, through DRF's fields."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import override

from social.mentors import selectors, services
from social.mentors.models import MentorProfile
from social.mentors.serializers import MatchOutput, MentorOutput
from social.mentors.tests.test_profiles import set_up

pytestmark = pytest.mark.django_db


def mentors(member: Any) -> list[MentorProfile]:
    ada, bob, cy = member("ada"), member("bob"), member("cy")
    assert set_up(ada).status_code == 200  # a price, tags, two languages
    assert set_up(bob, price_min=None, price_max=None, currency="", tags=[]).status_code == 200
    assert set_up(cy, bio="", availability="").status_code == 200
    # rated, recently active, never active
    MentorProfile.objects.filter(user_id=ada.user.id).update(
        reviews_count=3, rating_sum=13, rating_4=2, rating_5=1, average=13 / 3, rank=4.123456789
    )
    MentorProfile.objects.filter(user_id=bob.user.id).update(
        last_active_at=timezone.now() - timedelta(days=400)
    )
    # a price with no upper bound (written behind the service's back: DRF's None case)
    MentorProfile.objects.filter(user_id=cy.user.id).update(
        last_active_at=None, price_min=Decimal("5.5"), price_max=None
    )
    return list(selectors.mentors(viewer=None).order_by("-id"))


@pytest.mark.parametrize(("language", "zone"), [("en", "UTC"), ("uk", "Europe/Kyiv")])
def test_a_mentor_list_is_what_the_fields_give(member: Any, language: str, zone: str) -> None:
    rows = mentors(member)
    assert any(p.price_min is not None and p.price_max is None for p in rows)
    with override(language), timezone.override(zone):
        fast = list(MentorOutput(rows, many=True).data)
        assert fast == [MentorOutput(p).data for p in rows]
    assert fast[0]["created_at"].endswith("Z" if zone == "UTC" else ":00")
    assert fast[0]["price"] is None or isinstance(fast[0]["price"]["min"], str)


def test_a_match_list_is_what_the_fields_give(member: Any) -> None:
    rows = mentors(member)
    student = member("student")
    request = services.create_request(
        author_id=student.user.id, subject="python", language="uk", tags=["django"]
    )
    found = list(selectors.matching_mentors(request=request, viewer=None).order_by("-id"))
    assert found and {p.id for p in found} <= {p.id for p in rows}
    context = {"learning_request": request}
    with override("uk"):
        fast = list(MatchOutput(found, many=True, context=context).data)
        assert fast == [MatchOutput(p, context=context).data for p in found]
    assert all(isinstance(row["score"], float) for row in fast)
    assert Decimal(fast[0]["mentor"]["price"]["min"]) >= 0 or fast[0]["mentor"]["price"] is None
