"""Account writes: registration, profile, passwords, refresh-token revocation, wallet linking."""

import logging
import secrets
import string
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from eth_utils.address import to_checksum_address
from eth_utils.exceptions import ValidationError as EthUtilsValidationError
from rest_framework.exceptions import ValidationError
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User, WalletNonce, normalize_email
from accounts.selectors import user_get_by_email, user_get_by_wallet_address
from core.authentication import CheckedRefreshToken, CheckedTokenRefreshSerializer, check_claims
from core.errors import ApplicationError, Conflict

with warnings.catch_warnings():
    # siwe 4.4.0's EIP-4361 grammar redefines RFC 5234 core rules; abnf warns about it on import.
    warnings.simplefilter("ignore")
    from siwe import SiweMessage

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
    email_verification_send(user=user)
    return user


def user_update(*, user: User, display_name: str | None = None) -> User:
    if display_name is not None:
        user.display_name = display_name
        user.save(update_fields=["display_name"])
    return user


def user_tokens(*, user: User) -> dict[str, str]:
    refresh = CheckedRefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _refresh_grace_key(jti: str) -> str:
    return f"accounts:refresh-grace:{jti}"


def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: a new pair, and the old refresh token is blacklisted.

    Two tabs (or an app and its widget) often refresh with the same token at the same moment;
    strict rotation would log the slower one out. For JWT_REFRESH_GRACE_SECONDS after a
    rotation, the same old token returns the same new pair again, as long as that new refresh
    token is itself still valid (a logout or a password change ends the grace at once).
    Concurrent refreshes of one token are serialized on its outstanding-token row.
    Raises TokenError (a 401) for a token that is invalid, expired or past its grace."""
    payload = token_backend_decode(refresh)  # signature and expiry; not the blacklist
    check_claims(payload)  # claims of the types we issue, before any lookup uses them
    jti = str(payload.get(jwt_settings.JTI_CLAIM, ""))
    with transaction.atomic():
        OutstandingToken.objects.select_for_update().filter(jti=jti).order_by("pk").first()
        replay = cache.get(_refresh_grace_key(jti))
        if replay is not None:
            CheckedRefreshToken(replay["refresh"])  # TokenError if it was revoked since
            user_id = str(payload.get(jwt_settings.USER_ID_CLAIM))
            if not (user_id.isdigit() and User.objects.filter(pk=user_id, is_active=True).exists()):
                raise TokenError("The token's account is not active.")
            return dict(replay)
        rotation = CheckedTokenRefreshSerializer(data={"refresh": refresh})
        try:
            rotation.is_valid(raise_exception=True)
        except User.DoesNotExist as exc:  # simplejwt looks the user up unguarded
            raise TokenError("The token's account no longer exists.") from exc
        pair = {
            "access": rotation.validated_data["access"],
            "refresh": rotation.validated_data["refresh"],
        }
        # Inside the transaction, under the row lock: a concurrent refresh of the same token
        # waits for the lock and then finds the pair.
        cache.set(_refresh_grace_key(jti), pair, settings.JWT_REFRESH_GRACE_SECONDS)
    return pair


def token_backend_decode(token: str) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = token_backend.decode(token, verify=True)  # type: ignore[arg-type]
    except TokenBackendError as exc:
        raise TokenError(str(exc)) from exc
    if payload.get(jwt_settings.TOKEN_TYPE_CLAIM) != CheckedRefreshToken.token_type:
        raise TokenError("Token has wrong type")
    return payload


def user_revoke_refresh_tokens(*, user: User) -> int:
    """Blacklist every refresh token issued to the user that is not blacklisted yet."""
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(revoked)


def user_logout(*, user: User, refresh: str) -> None:
    token = CheckedRefreshToken(refresh)  # type: ignore[arg-type]  # TokenError (-> 401) if invalid, expired or blacklisted
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


# Wallet linking: Sign-In with Ethereum (EIP-4361)

SIWE_STATEMENT = "Link this wallet to your TrackPacks account."
_NONCE_ALPHABET = string.ascii_letters + string.digits
_NONCE_LENGTH = 24  # EIP-4361 asks for >= 8 alphanumerics; 24 gives ~142 bits


@dataclass(frozen=True)
class WalletChallenge:
    nonce: str
    message: str
    expires_at: datetime


def _siwe_error(message: str, code: str, status_code: int = 422) -> ApplicationError:
    return ApplicationError(message, code=code, status_code=status_code)


def _wallet_taken() -> Conflict:
    return Conflict("This wallet is already linked to another account.", code="wallet_taken")


def _iso8601(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def wallet_nonce_create(*, user: User, address: str) -> WalletChallenge:
    """Issue a single-use nonce bound to `user` inside the full EIP-4361 message to sign.

    The server builds the whole message (domain, URI, chain id, statement, issued-at and
    expiration), so the link step can insist on receiving exactly this text back.
    """
    checksummed = to_checksum_address(address)
    owner = user_get_by_wallet_address(address=checksummed)
    if owner is not None and owner.pk != user.pk:
        raise _wallet_taken()
    now = timezone.now().replace(microsecond=0)
    expires_at = now + timedelta(seconds=settings.SIWE_NONCE_TTL_SECONDS)
    nonce = "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(_NONCE_LENGTH))
    message = SiweMessage(
        domain=settings.SIWE_DOMAIN,
        address=checksummed,
        statement=SIWE_STATEMENT,
        uri=settings.SIWE_URI,
        version="1",
        chain_id=settings.CHAIN_ID,
        nonce=nonce,
        issued_at=_iso8601(now),
        expiration_time=_iso8601(expires_at),
    ).prepare_message()
    # Expired challenges are worthless: drop the user's old ones so the table stays small.
    WalletNonce.objects.filter(user=user, expires_at__lte=now).delete()
    WalletNonce.objects.create(
        user=user, nonce=nonce, message=message, created_at=now, expires_at=expires_at
    )
    return WalletChallenge(nonce=nonce, message=message, expires_at=expires_at)


def _siwe_parse(message: str) -> SiweMessage:
    try:
        return SiweMessage.from_message(message)
    except ValueError as exc:  # the grammar's and pydantic's errors are ValueErrors
        raise _siwe_error(
            "The message is not a valid EIP-4361 message.", "siwe_malformed", 400
        ) from exc


def _siwe_recover(message: str, signature: str) -> str:
    try:
        recovered: str = Account.recover_message(encode_defunct(text=message), signature=signature)
    except (ValueError, TypeError, IndexError, BadSignature, EthUtilsValidationError) as exc:
        raise _siwe_error(
            "The signature is not a valid 65-byte ECDSA signature.", "siwe_malformed", 400
        ) from exc
    return recovered


def _siwe_check_fields(parsed: SiweMessage, now: datetime) -> None:
    if parsed.domain != settings.SIWE_DOMAIN:
        raise _siwe_error("The message was issued for another domain.", "siwe_domain_mismatch")
    if parsed.uri != settings.SIWE_URI:
        raise _siwe_error("The message was issued for another URI.", "siwe_uri_mismatch")
    if parsed.chain_id != settings.CHAIN_ID:
        raise _siwe_error(
            f"The message is for chain {parsed.chain_id}; this service runs on "
            f"chain {settings.CHAIN_ID}.",
            "siwe_chain_mismatch",
        )
    if parsed.expiration_time is None or now >= parsed.expiration_time._datetime:
        raise _siwe_error("The message has expired; ask for a new nonce.", "siwe_expired")
    if parsed.not_before is not None and now < parsed.not_before._datetime:
        raise _siwe_error("The message is not valid yet.", "siwe_not_yet_valid")


def wallet_link(*, user: User, message: str, signature: str) -> User:
    """Link the wallet that signed a server-issued SIWE message to `user`.

    Checks, in order: the message parses as EIP-4361; domain, URI, chain id and validity
    window match this service; the EIP-191 `personal_sign` signature over the exact text
    recovers the message's address; the nonce was issued to this user for this very text,
    is unused and unexpired. The nonce is consumed by a conditional UPDATE in the same
    transaction as the link, so a replay or a concurrent second use finds nothing to update.

    Only externally owned accounts are supported: EIP-1271 contract wallets (Safe and the
    like) would need an on-chain `isValidSignature` call and are refused as bad signatures.
    """
    parsed = _siwe_parse(message)
    now = timezone.now()
    _siwe_check_fields(parsed, now)
    recovered = _siwe_recover(message, signature)
    if recovered != parsed.address:
        raise _siwe_error(
            "The signature was not made by the message's address.", "siwe_invalid_signature"
        )
    address = to_checksum_address(parsed.address)
    nonce_invalid = _siwe_error(
        "The nonce is unknown, already used, expired or not yours; ask for a new one.",
        "siwe_nonce_invalid",
    )
    try:
        with transaction.atomic():
            consumed = WalletNonce.objects.filter(
                user=user,
                nonce=parsed.nonce,
                message=message,
                used_at__isnull=True,
                expires_at__gt=now,
            ).update(used_at=now)
            if consumed != 1:
                raise nonce_invalid
            owner = user_get_by_wallet_address(address=address)
            if owner is not None and owner.pk != user.pk:
                raise _wallet_taken()
            User.objects.filter(pk=user.pk).update(wallet_address=address)
    except IntegrityError as exc:  # another account linked the address concurrently
        raise _wallet_taken() from exc
    user.wallet_address = address
    logger.info("User %s linked wallet %s", user.pk, address)
    return user


# Email verification, email change, account deletion, wallet unlink

_EMAIL_LINK_NAMESPACE = "accounts.email-link"


def _invalid_email_token() -> ApplicationError:
    return ApplicationError(
        "The link is invalid or has expired; ask for a new one.",
        code="invalid_email_token",
        status_code=400,
    )


def _email_link_send(*, user: User, to: str, subject: str, intro: str) -> None:
    """Mail a signed link for `to`; it is valid while the account's email is what it is now."""
    token = signing.dumps({"u": user.pk, "to": to, "was": user.email}, salt=_EMAIL_LINK_NAMESPACE)
    link = f"{settings.FRONTEND_URL}/verify-email?token={token}"
    send_mail(
        subject=subject,
        message=f"{intro}\n{link}\nIf you did not ask for this, ignore this mail.",
        from_email=None,
        recipient_list=[to],
    )


def email_verification_send(*, user: User) -> None:
    if user.email_verified:
        raise Conflict("Your email address is already verified.", code="email_already_verified")
    _email_link_send(
        user=user,
        to=user.email,
        subject="Confirm your TrackPacks email address",
        intro="Follow this link to confirm your email address:",
    )


def email_verify(*, token: str) -> User:
    """Confirm the address a link was mailed to: the account's own (verification) or the new
    one of an email change, which then becomes the login email. A link stops working once the
    account's email changes; following a verification link twice changes nothing."""
    try:
        claim = signing.loads(
            token, salt=_EMAIL_LINK_NAMESPACE, max_age=settings.EMAIL_VERIFICATION_TIMEOUT_SECONDS
        )
    except signing.BadSignature as exc:  # SignatureExpired included
        raise _invalid_email_token() from exc
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().filter(pk=claim["u"], is_active=True).first()
            if user is None or user.email != claim["was"]:
                raise _invalid_email_token()
            if claim["to"] != user.email:
                if user.pending_email != claim["to"]:
                    raise _invalid_email_token()  # a later change request replaced this one
                user.email, user.pending_email = claim["to"], ""
                user.email_verified_at = None
            user.email_verified_at = user.email_verified_at or timezone.now()
            user.save(update_fields=["email", "pending_email", "email_verified_at"])
    except IntegrityError as exc:
        raise Conflict("An account with this email already exists.", code="email_taken") from exc
    return user


def _check_password(user: User, password: str) -> None:
    if not user.check_password(password):
        raise ValidationError({"password": ["The current password is not correct."]})


def email_change_request(*, user: User, new_email: str, password: str) -> User:
    """Mail a confirmation link to the new address; the login email changes only when it is
    followed (email_verify), so a typo never locks anyone out."""
    _check_password(user, password)
    new = normalize_email(new_email)
    if new == user.email:
        raise ValidationError({"new_email": ["This is already your email address."]})
    if User.objects.filter(email=new).exists():
        raise Conflict("An account with this email already exists.", code="email_taken")
    user.pending_email = new
    user.save(update_fields=["pending_email"])
    _email_link_send(
        user=user,
        to=new,
        subject="Confirm your new TrackPacks email address",
        intro="Follow this link to make this your TrackPacks login email:",
    )
    return user


def user_delete(*, user: User, password: str) -> None:
    """Anonymise the account and log it out everywhere. Orders, packs and chain records stay
    (without personal data) for the books; custodial tokens stay in the custodial wallet.
    Refused while an order or a withdrawal is still in flight."""
    from payments.models import Order, OrderStatus
    from trackpacks.models import Withdrawal, WithdrawalStatus

    _check_password(user, password)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        in_flight = (
            Order.objects.filter(
                user=locked, status__in=[OrderStatus.PENDING, OrderStatus.PAID]
            ).exists()
            or Withdrawal.objects.filter(user=locked, status=WithdrawalStatus.PENDING).exists()
        )
        if in_flight:
            raise Conflict(
                "Cancel or finish your pending orders and withdrawals first.",
                code="account_busy",
            )
        locked.email = f"deleted-{locked.pk}@deleted.invalid"
        locked.display_name = locked.pending_email = ""
        locked.wallet_address = None
        locked.email_verified_at = None
        locked.is_active = False
        locked.deleted_at = timezone.now()
        locked.set_unusable_password()
        locked.save()
        WalletNonce.objects.filter(user=locked).delete()
        user_revoke_refresh_tokens(user=locked)
    logger.info("User %s deleted their account", user.pk)


def wallet_unlink(*, user: User) -> User:
    """Forget the linked wallet (its tokens stay its own on chain). Refused while a withdrawal
    to it is on its way; unlinking an unlinked account changes nothing."""
    from trackpacks.models import Withdrawal, WithdrawalStatus

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if (
            locked.wallet_address
            and Withdrawal.objects.filter(
                user=locked, status=WithdrawalStatus.PENDING, to_address=locked.wallet_address
            ).exists()
        ):
            raise Conflict(
                "A withdrawal to this wallet is still on its way.", code="withdrawal_pending"
            )
        locked.wallet_address = None
        locked.save(update_fields=["wallet_address"])
    return locked
