"""Celery tasks: account emails and the periodic ending of bans."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="auth.send_verification_email")
def send_verification_email(*, user_id: str, email: str) -> bool:
    from auth.accounts import emails, services
    from auth.accounts.models import User

    user = User.objects.filter(id=user_id, deleted_at=None).first()
    # The address may have changed since this was queued: only ever mail a current one.
    if user is None or email.lower() not in {user.email.lower(), user.pending_email.lower()}:
        return False
    token = services.make_email_verification_token(user=user, email=email)
    emails.send_verification(user=user, email=email, token=token)
    return True


@shared_task(name="auth.send_email_change_notice")
def send_email_change_notice(
    *, user_id: str, old_email: str, old_verified: bool, new_email: str
) -> bool:
    """Tell the current address that a change to `new_email` was asked for, with a way back."""
    from auth.accounts import emails, services
    from auth.accounts.models import User

    user = User.objects.filter(id=user_id, deleted_at=None).first()
    if user is None:
        return False
    token = services.make_email_restore_token(
        user=user, old_email=old_email, old_verified=old_verified
    )
    emails.send_email_change_notice(
        user=user, old_email=old_email, new_email=new_email, token=token
    )
    return True


@shared_task(name="auth.send_password_reset_email")
def send_password_reset_email(*, email: str) -> bool:
    from auth.accounts import emails, services

    user = services.user_for_password_reset(email=email)
    if user is None:
        return False
    emails.send_password_reset(user=user, token=services.make_password_reset_token(user=user))
    return True


@shared_task(name="auth.end_expired_bans")
def end_expired_bans() -> int:
    from auth.accounts import services

    return services.end_expired_bans()


@shared_task(name="auth.cleanup_sessions")
def cleanup_sessions() -> int:
    from auth.accounts import services

    return services.cleanup_sessions()
