from typing import Any

from rest_framework import serializers

from accounts.models import User


class UserSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "date_joined"]
        read_only_fields = fields


class RegisterInputSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    display_name = serializers.CharField(
        max_length=80, required=False, default="", allow_blank=True
    )


class TokenPairSerializer(serializers.Serializer[Any]):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisterOutputSerializer(TokenPairSerializer):
    user = UserSerializer()


class LoginInputSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer[Any]):
    refresh = serializers.CharField(max_length=2048)


class MeUpdateInputSerializer(serializers.Serializer[Any]):
    display_name = serializers.CharField(max_length=80, allow_blank=True, required=False)


class PasswordChangeInputSerializer(serializers.Serializer[Any]):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordResetInputSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer[Any]):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)
