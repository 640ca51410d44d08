"""Account writes: registration, profile, passwords, refresh-token revocation, wallet linking."""

import logging
import secrets
import string
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
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
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User, WalletNonce, normalize_email
from accounts.selectors import user_get_by_email, user_get_by_wallet_address
from core.authentication import CheckedRefreshToken
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
    return user


def user_update(*, user: User, display_name: str | None = None) -> User:
    if display_name is not None:
        user.display_name = display_name
        user.save(update_fields=["display_name"])
    return user


def user_tokens(*, user: User) -> dict[str, str]:
    refresh = CheckedRefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


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
