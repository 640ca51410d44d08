from typing import Any

from eth_utils.address import is_checksum_address
from rest_framework import serializers

from accounts.models import User
from core.serializer_fields import StrictCharField, StrictEmailField, StringOnlyMixin


class UserSerializer(serializers.ModelSerializer[User]):
    wallet_address = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The user's own wallet, linked by Sign-In with Ethereum (EIP-55 checksummed).",
    )
    custodial_wallet_address = serializers.CharField(
        source="custodial_address",
        read_only=True,
        allow_null=True,
        help_text="The wallet the platform holds card-bought packs and songs in.",
    )
    email_verified = serializers.BooleanField(
        read_only=True, help_text="Card orders need a verified email address."
    )
    pending_email = serializers.CharField(
        read_only=True, help_text="A requested new email address, until its link is followed."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "email_verified",
            "pending_email",
            "display_name",
            "date_joined",
            "wallet_address",
            "custodial_wallet_address",
        ]
        read_only_fields = fields


class RegisterInputSerializer(serializers.Serializer[Any]):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)
    display_name = StrictCharField(max_length=80, required=False, allow_blank=True)


class TokenPairSerializer(serializers.Serializer[Any]):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisterOutputSerializer(TokenPairSerializer):
    user = UserSerializer()


class LoginInputSerializer(serializers.Serializer[Any]):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer[Any]):
    refresh = StrictCharField(max_length=2048)


class MeUpdateInputSerializer(serializers.Serializer[Any]):
    display_name = StrictCharField(max_length=80, allow_blank=True, required=False)


class PasswordChangeInputSerializer(serializers.Serializer[Any]):
    old_password = StrictCharField(max_length=128, trim_whitespace=False)
    new_password = StrictCharField(max_length=128, trim_whitespace=False)


class PasswordResetInputSerializer(serializers.Serializer[Any]):
    email = StrictEmailField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer[Any]):
    uid = StrictCharField(max_length=64)
    token = StrictCharField(max_length=128)
    new_password = StrictCharField(max_length=128, trim_whitespace=False)


class WalletAddressField(StringOnlyMixin, serializers.RegexField):
    """A 0x-prefixed 20-byte hex address; mixed case must carry a valid EIP-55 checksum."""

    default_error_messages = {
        "invalid": "Enter a 0x-prefixed, 40-hex-digit Ethereum address.",
        "checksum": "The address's mixed-case checksum (EIP-55) is wrong.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(r"^0x[0-9a-fA-F]{40}$", max_length=42, min_length=42, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data))
        digits = value[2:]
        mixed_case = digits != digits.lower() and digits != digits.upper()
        if mixed_case and not is_checksum_address(value):
            self.fail("checksum")
        return value


class WalletNonceInputSerializer(serializers.Serializer[Any]):
    address = WalletAddressField(help_text="The wallet to link; the message is built for it.")


class WalletNonceOutputSerializer(serializers.Serializer[Any]):
    nonce = serializers.CharField(help_text="Single-use, bound to you, valid until expires_at.")
    message = serializers.CharField(help_text="The EIP-4361 message to sign, byte for byte.")
    expires_at = serializers.DateTimeField()


class WalletLinkInputSerializer(serializers.Serializer[Any]):
    message = StrictCharField(
        max_length=4096, trim_whitespace=False, help_text="The message from the nonce step."
    )
    signature = StrictCharField(
        max_length=200, help_text="The EIP-191 personal_sign signature, 0x-prefixed hex."
    )


class EmailVerifyInputSerializer(serializers.Serializer[Any]):
    token = StrictCharField(max_length=1024, help_text="The `token` of the mailed link.")


class EmailChangeInputSerializer(serializers.Serializer[Any]):
    new_email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class PasswordConfirmInputSerializer(serializers.Serializer[Any]):
    password = StrictCharField(max_length=128, trim_whitespace=False)
