"""The concretizer's API on the offline planner: ask (202, a job), read, questions and answers,
a finer breakdown of one step, accept in one transaction (twice: 409); only the owner reads or
accepts; a task needs a role that may edit it; events; length limits name the field."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cotask_common.events.testing import published_events
from tasks.concretizer.models import Plan
from tasks.planning.models import Dependency, Task
from tasks.planning.tests.teamkit import EVERYONE, expected

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline")]

URL = "/api/tasks/concretize/"


def _ask(client, jobs, **body):
    with jobs():
        answer = client.post(URL, body, format="json")
    return answer


def test_a_goal_answers_202_at_once_and_the_job_makes_the_plan(squad, jobs):
    client = squad.clients["member"]
    deadline = (timezone.now() + timedelta(days=30)).date()
    answer = _ask(
        client, jobs, goal="learn Spanish", deadline=deadline.isoformat(), minutes_per_day=30
    )
    assert answer.status_code == 202, answer.content
    plan_id = answer.json()["id"]
    assert answer.json()["status"] == "queued"  # the response is written before the job runs
    body = client.get(f"{URL}{plan_id}/").json()
    assert body["status"] == "done"
    assert body["provider"] == "rules"
    assert body["language"] == "en"
    assert 3 <= len(body["steps"]) <= 12
    assert all(s["due"] <= deadline.isoformat() for s in body["steps"])
    assert sum(s["estimate_minutes"] for s in body["steps"]) <= 31 * 30
    assert body["steps"][1]["depends_on"] == [1]
    assert Task.objects.count() == 0  # nothing is created before acceptance
    [event] = published_events(type_prefix="tasks.plan.concretized")
    assert event.data["recipient_ids"] == [str(squad.users["member"].id)]
    assert event.data["provider"] == "rules" and event.data["step_count"] == len(body["steps"])


def test_the_language_follows_the_goal(squad, jobs):
    client = squad.clients["member"]
    for goal, language in (("выучить английский", "ru"), ("вивчити німецьку мову", "uk")):
        plan_id = _ask(client, jobs, goal=goal).json()["id"]
        body = client.get(f"{URL}{plan_id}/").json()
        assert body["language"] == language
        assert body["steps"][0]["title"].startswith(("Определить", "Визначити"))


def test_an_identical_request_within_a_day_reuses_the_plan(squad, jobs):
    client = squad.clients["member"]
    first = _ask(client, jobs, goal="Write a book").json()["id"]
    again = _ask(client, jobs, goal="  write a   BOOK ")
    assert again.status_code == 200 and again.json()["id"] == first
    other = _ask(client, jobs, goal="write a book", minutes_per_day=60)
    assert other.status_code == 202 and other.json()["id"] != first
    # Another person's identical request is their own plan.
    theirs = _ask(squad.clients["owner"], jobs, goal="write a book")
    assert theirs.status_code == 202 and theirs.json()["id"] != first
    Plan.objects.filter(id=first).update(created_at=timezone.now() - timedelta(days=2))
    assert _ask(client, jobs, goal="write a book").json()["id"] != first


def test_a_vague_goal_asks_questions_and_the_answers_make_the_plan(squad, jobs):
    client = squad.clients["member"]
    plan_id = _ask(client, jobs, goal="life", language="en").json()["id"]
    body = client.get(f"{URL}{plan_id}/").json()
    assert body["status"] == "done" and body["steps"] == []
    assert 1 <= len(body["questions"]) <= 3
    assert client.post(f"{URL}{plan_id}/accept/", {}, format="json").status_code == 409
    with jobs():
        answer = client.post(
            f"{URL}{plan_id}/answers/",
            {"answers": ["move to a new flat", "in a month", "5 hours"], "minutes_per_week": 300},
            format="json",
        )
    assert answer.status_code == 202, answer.content
    body = client.get(f"{URL}{plan_id}/").json()
    assert body["questions"] == [] and 3 <= len(body["steps"]) <= 12
    assert "move to a new flat" in body["steps"][0]["title"]
    again = client.post(f"{URL}{plan_id}/answers/", {"answers": ["x"]}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "no_questions"


def test_the_questions_are_in_the_persons_language(squad, jobs):
    client = squad.clients["member"]
    plan_id = _ask(client, jobs, goal="щось", language="uk").json()["id"]
    questions = client.get(f"{URL}{plan_id}/").json()["questions"]
    assert questions and all("?" in q for q in questions)
    assert "Чого" in questions[0]


def test_one_step_is_broken_down_further_inside_its_estimate_and_deadline(squad, jobs):
    client = squad.clients["member"]
    deadline = (timezone.now() + timedelta(days=20)).date().isoformat()
    plan_id = _ask(client, jobs, goal="finish the thesis", deadline=deadline).json()["id"]
    step = client.get(f"{URL}{plan_id}/").json()["steps"][3]
    with jobs():
        answer = client.post(f"{URL}{plan_id}/steps/4/concretize/")
    assert answer.status_code == 202, answer.content
    finer = client.get(f"{URL}{answer.json()['id']}/").json()
    assert finer["parent_id"] == plan_id and finer["parent_step"] == 4
    assert 3 <= len(finer["steps"]) <= 12
    assert step["title"] in finer["steps"][0]["title"]
    assert sum(s["estimate_minutes"] for s in finer["steps"]) <= step["estimate_minutes"]
    assert all(s["due"] <= step["due"] for s in finer["steps"])
    missing = client.post(f"{URL}{plan_id}/steps/40/concretize/")
    assert missing.status_code == 404 and missing.json()["code"] == "step_not_found"


def test_accept_makes_the_edited_steps_subtasks_with_dependencies_in_one_go(squad, jobs):
    client = squad.clients["member"]
    parent = squad.task("Get fit", due_date=date.today() + timedelta(days=40))
    plan_id = _ask(client, jobs, task_id=str(parent.id)).json()["id"]
    plan = client.get(f"{URL}{plan_id}/").json()
    assert plan["goal"] == "Get fit" and plan["task_id"] == str(parent.id)
    assert plan["context"]["deadline"] == parent.due_date.isoformat()
    steps = plan["steps"][:3]
    steps[1]["title"] = "Buy running shoes"  # edited
    steps.append({"title": "Run 5 km", "estimate_minutes": 40, "due": None, "depends_on": [2, 3]})
    answer = client.post(f"{URL}{plan_id}/accept/", {"steps": steps}, format="json")
    assert answer.status_code == 201, answer.content
    made = answer.json()["subtask_ids"]
    subtasks = {str(t.id): t for t in Task.objects.filter(parent=parent)}
    assert set(subtasks) == set(made)
    assert [subtasks[i].title for i in made][1] == "Buy running shoes"
    assert subtasks[made[0]].due_date.isoformat() == steps[0]["due"]
    assert subtasks[made[0]].estimate_minutes == steps[0]["estimate_minutes"]
    blockers = {
        (str(d.task_id), str(d.blocked_by_id))
        for d in Dependency.objects.filter(task_id__in=subtasks)
    }
    assert blockers == {
        (made[1], made[0]),
        (made[2], made[1]),
        (made[3], made[1]),
        (made[3], made[2]),
    }
    assert len(published_events(type_prefix="tasks.task.created")) == 4  # as planning does
    [accepted] = published_events(type_prefix="tasks.plan.accepted")
    assert accepted.data["subtask_ids"] == made and accepted.data["task_id"] == str(parent.id)
    twice = client.post(f"{URL}{plan_id}/accept/", {}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "plan_already_accepted"
    assert Task.objects.filter(parent=parent).count() == 4


def test_a_refused_step_makes_nothing(squad, jobs):
    client = squad.clients["member"]
    parent = squad.task("Get fit")
    plan_id = _ask(client, jobs, task_id=str(parent.id)).json()["id"]
    steps = client.get(f"{URL}{plan_id}/").json()["steps"]
    steps[2]["depends_on"] = [3]
    answer = client.post(f"{URL}{plan_id}/accept/", {"steps": steps}, format="json")
    assert answer.status_code == 400
    assert "steps[2].depends_on" in answer.json()["fields"]
    assert not Task.objects.filter(parent=parent).exists()
    assert Plan.objects.get(id=plan_id).accepted_at is None


def test_a_free_text_goal_becomes_a_task_in_my_personal_space(squad, jobs):
    client = squad.clients["member"]
    plan_id = _ask(client, jobs, goal="organise the garage").json()["id"]
    answer = client.post(f"{URL}{plan_id}/accept/", {}, format="json")
    assert answer.status_code == 201, answer.content
    task = Task.objects.get(id=answer.json()["task_id"])
    assert task.title == "organise the garage" and task.room.kind == "personal"
    assert task.room.owner_id == squad.users["member"].id
    assert Task.objects.filter(parent=task).count() == len(answer.json()["subtask_ids"])


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_concretize_a_task(squad, jobs, who):
    task = squad.task("Ship the release")
    answer = _ask(squad.clients[who], jobs, task_id=str(task.id))
    assert answer.status_code == expected(who, allowed=("owner", "admin", "member"), ok=202)


@pytest.mark.parametrize("who", EVERYONE)
def test_only_the_owner_reads_and_accepts_a_plan(squad, jobs, who):
    task = squad.task("Ship the release")
    plan_id = _ask(squad.clients["member"], jobs, task_id=str(task.id)).json()["id"]
    client = squad.clients[who]
    allowed = who == "member"
    read = client.get(f"{URL}{plan_id}/")
    refused = {"anonymous": 401, "banned": 403}.get(who, 404)
    assert read.status_code == (200 if allowed else refused)
    if who != "member":
        accept = client.post(f"{URL}{plan_id}/accept/", {}, format="json")
        assert accept.status_code == refused
        for path in ("answers/", "steps/1/concretize/"):
            body = {"answers": ["x"]} if path == "answers/" else {}
            assert client.post(f"{URL}{plan_id}/{path}", body, format="json").status_code == refused
        assert not Task.objects.filter(parent=task).exists()


def test_a_member_demoted_to_viewer_cannot_accept(squad, jobs):
    from tasks.rooms.models import Membership

    task = squad.task("Ship the release")
    plan_id = _ask(squad.clients["member"], jobs, task_id=str(task.id)).json()["id"]
    Membership.objects.filter(room=squad.room, user=squad.users["member"]).update(role="viewer")
    answer = squad.clients["member"].post(f"{URL}{plan_id}/accept/", {}, format="json")
    assert answer.status_code == 403
    assert not Task.objects.filter(parent=task).exists()


def test_a_subtask_cannot_be_concretized(squad, jobs):
    parent = squad.task("Parent")
    child = squad.task("Child", parent=parent)
    answer = _ask(squad.clients["member"], jobs, task_id=str(child.id))
    assert answer.status_code == 400 and "task_id" in answer.json()["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"goal": "x" * 501}, "goal"),
        ({}, "goal"),
        ({"goal": "ok", "minutes_per_day": 0}, "minutes_per_day"),
        ({"goal": "ok", "minutes_per_week": 10081}, "minutes_per_week"),
        ({"goal": "ok", "level": "wizard"}, "level"),
        ({"goal": "ok", "language": "de"}, "language"),
        ({"goal": "ok", "deadline": "tomorrow"}, "deadline"),
    ],
)
def test_bad_input_is_400_naming_the_field(squad, jobs, body, field):
    answer = _ask(squad.clients["member"], jobs, **body)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["fields"]
    assert not Plan.objects.exists()


def test_neither_goal_nor_task_breaks_the_documented_rule(squad, jobs):
    answer = _ask(squad.clients["member"], jobs)
    assert answer.json()["fields"]["goal"][0]["code"] == "goal_or_task"


def test_long_answers_and_steps_are_400_naming_the_field(squad, jobs):
    client = squad.clients["member"]
    plan_id = _ask(client, jobs, goal="life", language="en").json()["id"]
    answer = client.post(f"{URL}{plan_id}/answers/", {"answers": ["x" * 301]}, format="json")
    assert answer.status_code == 400 and "answers" in str(answer.json()["fields"])
    plan_id = _ask(client, jobs, goal="write a book").json()["id"]
    answer = client.post(
        f"{URL}{plan_id}/accept/", {"steps": [{"title": "t" * 256}]}, format="json"
    )
    assert answer.status_code == 400 and "steps" in str(answer.json()["fields"])


def test_errors_speak_the_persons_language(squad, jobs):
    client = squad.clients["member"]
    answer = client.get(f"{URL}00000000-0000-0000-0000-000000000000/", HTTP_ACCEPT_LANGUAGE="uk")
    assert answer.status_code == 404 and answer.json()["code"] == "plan_not_found"
    assert answer.json()["message"] != "No plan with this id."


def test_reading_a_plan_takes_a_fixed_number_of_queries(squad, jobs, django_assert_max_num_queries):
    client = squad.clients["member"]
    plan_id = _ask(client, jobs, goal="finish the thesis").json()["id"]
    client.get(f"{URL}{plan_id}/")  # warm the kit's snapshots
    with django_assert_max_num_queries(3):
        assert client.get(f"{URL}{plan_id}/").status_code == 200


def test_a_job_that_breaks_fails_visibly_and_a_redelivered_job_does_nothing(
    squad, jobs, monkeypatch
):
    from tasks.concretizer import llm, services

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(llm, "planner", broken)
    client = squad.clients["member"]
    plan_id = _ask(client, jobs, goal="write a book").json()["id"]
    body = client.get(f"{URL}{plan_id}/").json()
    assert body["status"] == "failed" and body["error"] == "planner_error"
    [event] = published_events(type_prefix="tasks.plan.concretized")
    assert event.data["status"] == "failed" and event.data["provider"] is None
    assert services.run_plan(plan_id=plan_id) is None  # not queued: left alone
    assert len(published_events(type_prefix="tasks.plan.concretized")) == 1
    # A failed plan is not reused: asking again makes a new one.
    monkeypatch.undo()
    assert _ask(client, jobs, goal="write a book").json()["id"] != plan_id
