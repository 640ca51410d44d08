"""Account writes: registration, profile, passwords and refresh-token revocation."""

import logging

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework.exceptions import ValidationError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User, normalize_email
from accounts.selectors import user_get_by_email
from core.errors import ApplicationError, Conflict

logger = logging.getLogger(__name__)


def _validate_new_password(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationError({"new_password" if user.pk else "password": exc.messages}) from exc


def user_create(*, email: str, password: str, display_name: str = "") -> User:
    user = User(email=normalize_email(email), display_name=display_name)
    _validate_new_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict("An account with this email already exists.", code="email_taken") from exc
    return user


def user_update(*, user: User, display_name: str | None = None) -> User:
    if display_name is not None:
        user.display_name = display_name
        user.save(update_fields=["display_name"])
    return user


def user_tokens(*, user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def user_revoke_refresh_tokens(*, user: User) -> int:
    """Blacklist every refresh token issued to the user that is not blacklisted yet."""
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(revoked)


def user_logout(*, user: User, refresh: str) -> None:
    token = RefreshToken(refresh)  # type: ignore[arg-type]  # TokenError (-> 401) if invalid, expired or blacklisted
    if str(token.get("user_id")) != str(user.pk):
        raise ApplicationError(
            "This refresh token belongs to another account.",
            code="token_not_yours",
            status_code=403,
        )
    token.blacklist()


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is not correct."]})
    _validate_new_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_revoke_refresh_tokens(user=user)


def password_reset_request(*, email: str) -> None:
    """Mail a reset link if the account exists; say nothing either way (no enumeration)."""
    user = user_get_by_email(email=email)
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{settings.FRONTEND_URL}/reset-password?uid={uid}&token={token}"
    send_mail(
        subject="Reset your TrackPacks password",
        message=(
            "Someone asked to reset the password of your TrackPacks account.\n"
            f"If it was you, follow this link within the hour:\n{link}\n"
            "If not, ignore this mail; your password stays the same."
        ),
        from_email=None,
        recipient_list=[user.email],
    )


def _user_from_uid(uid: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> None:
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise ApplicationError(
            "The reset link is invalid or has expired.", code="invalid_reset_token", status_code=400
        )
    _validate_new_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_revoke_refresh_tokens(user=user)
