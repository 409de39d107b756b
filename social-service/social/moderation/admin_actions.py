"""Moderation from Django admin: changelist actions that ask for a reason (and, for blocks, a
duration) on an intermediate form, then call `social.moderation.services` for each selected row.

The services are the only writers: they record the ModerationAction, publish the event through
the outbox and move counters in one transaction, exactly as the API does. Input the services
refuse (a moderator's permanent block, a too-long block) comes back on the form when nothing was
done, or as one message per row when some rows went through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cotask_common.errors import NotFound, ServiceError
from cotask_common.users.models import UserRef
from social.moderation import services
from social.moderation.admin_access import moderator_account

# One submission acts on at most this many rows: each is announced to its author, so "select
# all" over a large changelist should be a deliberate series of smaller steps.
MAX_ROWS = 100
TEMPLATE = "admin/social_moderation/action_form.html"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=services.REASON_MAX,
        error_messages={"required": _("A reason is required: the author is told it.")},
        help_text="Recorded with the action and sent to the author.",
    )


def _duration_field() -> forms.IntegerField:
    limit = settings.SOCIAL_MODERATOR_MAX_BLOCK_DAYS
    return forms.IntegerField(
        label="Duration (hours)",
        required=False,
        min_value=1,
        help_text=f"168 is a week. Moderators: at most {limit * 24} hours ({limit} days).",
    )


class BlockPageForm(ReasonForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["duration_hours"] = _duration_field()
        self.fields["permanent"] = forms.BooleanField(
            required=False, help_text="Admins only; the duration is then ignored."
        )


class ResolveReportForm(ReasonForm):
    # Not `action`: that name carries the admin action itself in the changelist's POST.
    outcome = forms.ChoiceField(
        choices=[
            ("none", "Dismiss: nothing to do"),
            ("delete", "Delete the reported post or comment"),
            ("block_page", "Block the page (the reported page, or the page of the post/comment)"),
        ],
        initial="none",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Resolution"
        self.fields["reason"].help_text = "Recorded, and sent to whoever reported it."
        self.fields["duration_hours"] = _duration_field()
        self.fields["duration_hours"].help_text = "For a block only. " + str(
            self.fields["duration_hours"].help_text
        )


@dataclass(frozen=True)
class ModerationStep:
    """One admin action: its form, what it calls per row and how it reports."""

    name: str
    label: str
    form_class: type[ReasonForm]
    apply: Callable[[Any, UserRef, dict[str, Any]], Any]
    done: str  # "Blocked {count} page(s)."
    # Why a row is left out before anything runs (already in the wanted state), or None.
    skip: Callable[[Any], str | None] = lambda obj: None
    # The service's field names that are named differently on the form.
    fields: tuple[tuple[str, str], ...] = ()


def moderation_action(step: ModerationStep) -> Callable[..., Any]:
    """A ModelAdmin action shown only to linked moderators (`has_moderate_permission`)."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> Any:
        return _run(step, modeladmin, request, queryset)

    action.__name__ = step.name
    return admin.action(description=step.label, permissions=["moderate"])(action)


class ModerationActionsMixin:
    """For ModelAdmins with moderation actions: who may see and run them."""

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return moderator_account(request.user) is not None


def _run(
    step: ModerationStep, modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> Any:
    actor = moderator_account(request.user)
    if actor is None:  # the action list already hides it; a forged POST ends here
        raise PermissionDenied
    rows = list(queryset[: MAX_ROWS + 1])
    if len(rows) > MAX_ROWS:
        modeladmin.message_user(
            request,
            f"Select at most {MAX_ROWS} rows for one moderation action; nothing was changed.",
            messages.ERROR,
        )
        return None
    reasons = [(row, step.skip(row)) for row in rows]
    skipped = [(row, why) for row, why in reasons if why]
    targets = [row for row, why in reasons if not why]
    if not targets:
        for row, why in skipped:
            modeladmin.message_user(request, f"{row}: {why}", messages.WARNING)
        return None

    form = step.form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        done, failed = _apply(step, actor, form.cleaned_data, targets)
        if done or not failed:
            if done:
                modeladmin.message_user(request, step.done.format(count=done), messages.SUCCESS)
            for row, exc in failed:
                modeladmin.message_user(request, f"{row}: {exc.message}", messages.ERROR)
            for row, why in skipped:
                modeladmin.message_user(request, f"{row}: {why}", messages.WARNING)
            return None  # back to the changelist
        _errors_to_form(form, failed, dict(step.fields), many=len(targets) > 1)

    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": step.label.rstrip("…."),
        "opts": opts,
        "form": form,
        "objects": targets,
        "skipped": skipped,
        "action": step.name,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "actor": actor,
        "media": modeladmin.media + form.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, TEMPLATE, context)


def _apply(
    step: ModerationStep, actor: UserRef, data: dict[str, Any], rows: Iterable[Model]
) -> tuple[int, list[tuple[Model, ServiceError]]]:
    done, failed = 0, []
    for row in rows:
        try:
            step.apply(row, actor, data)  # one transaction per row, inside the service
            done += 1
        except ServiceError as exc:
            failed.append((row, exc))
        except ObjectDoesNotExist:  # e.g. a report whose post went with its deleted page
            failed.append((row, NotFound(gettext("What this refers to no longer exists."))))
    return done, failed


def _errors_to_form(
    form: forms.Form,
    failed: list[tuple[Model, ServiceError]],
    renamed: dict[str, str],
    *,
    many: bool,
) -> None:
    """Nothing went through: show why on the form, next to the field the service named."""
    seen: set[tuple[str | None, str]] = set()
    for row, exc in failed:
        found: list[tuple[str | None, str]] = [
            (renamed.get(f, f), e["message"]) for f, errs in exc.fields.items() for e in errs
        ]
        for field, message in found or [(None, exc.message)]:
            field = field if field in form.fields else None
            if field is None and many:
                message = f"{row}: {message}"
            if (field, message) not in seen:
                seen.add((field, message))
                form.add_error(field, message)


# ---------------------------------------------------------------------------------------------
# The steps


def _hours(data: dict[str, Any]) -> timedelta | None:
    return timedelta(hours=data["duration_hours"]) if data.get("duration_hours") else None


BLOCK_PAGES = ModerationStep(
    name="block_pages",
    label="Block the selected pages…",
    form_class=BlockPageForm,
    apply=lambda page, actor, data: services.block_page(
        page=page,
        actor=actor,
        reason=data["reason"],
        duration=_hours(data),
        permanent=data["permanent"],
    ),
    done="Blocked {count} page(s).",
)

UNBLOCK_PAGES = ModerationStep(
    name="unblock_pages",
    label="Lift the block of the selected pages…",
    form_class=ReasonForm,
    apply=lambda page, actor, data: services.unblock_page(
        page=page, actor=actor, reason=data["reason"]
    ),
    done="Lifted the block of {count} page(s).",
    # Unblocking a page moderation never blocked would tell its owner of a block that was not.
    skip=lambda page: (
        None if page.blocked_permanently or page.blocked_until else "not blocked by moderation"
    ),
)

DELETE_POSTS = ModerationStep(
    name="delete_posts",
    label="Delete the selected posts…",
    form_class=ReasonForm,
    apply=lambda post, actor, data: services.delete_post(
        post=post, actor=actor, reason=data["reason"]
    ),
    done="Deleted {count} post(s).",
    skip=lambda post: "already deleted" if post.deleted_at else None,
)

DELETE_COMMENTS = ModerationStep(
    name="delete_comments",
    label="Delete the selected comments…",
    form_class=ReasonForm,
    apply=lambda comment, actor, data: services.delete_comment(
        comment=comment, actor=actor, reason=data["reason"]
    ),
    done="Deleted {count} comment(s).",
    skip=lambda comment: "already deleted" if comment.deleted_at else None,
)

RESOLVE_REPORTS = ModerationStep(
    name="resolve_reports",
    label="Resolve the selected reports…",
    form_class=ResolveReportForm,
    apply=lambda report, actor, data: services.resolve_report(
        report=report,
        actor=actor,
        resolution=data["reason"],
        action=data["outcome"],
        duration_hours=data.get("duration_hours"),
    ),
    done="Resolved {count} report(s).",
    skip=lambda report: None if report.status == "open" else f"already {report.status}",
    fields=(("action", "outcome"),),
)
