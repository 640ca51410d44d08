from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively: store and look them up lower-cased."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the user follows the verification link mailed to `email`.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # An email change waiting for the link mailed to the new address.
    pending_email = models.EmailField(blank=True)
    # Accounts are anonymised, not removed: orders and chain records stay for the books.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The user's Stripe Customer (saved cards in the mobile PaymentSheet), made on first use.
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    # The user's own (self-custody) wallet, proven by a SIWE signature; EIP-55 checksummed.
    wallet_address = models.CharField(max_length=42, null=True, blank=True, unique=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email

    @property
    def custodial_address(self) -> str | None:
        """Holds the user's card-bought packs and songs: the keyless address the deployed
        contract derives from the user id (see chain.custody); None before any deployment."""
        from chain.custody import custodial_address

        return custodial_address(user_id=self.pk) if self.pk else None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class WalletNonce(models.Model):
    """A single-use Sign-In with Ethereum nonce, bound to one user and the message built for it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="wallet_nonces")
    nonce = models.CharField(max_length=64, unique=True)
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.nonce}"
