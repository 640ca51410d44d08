"""JWTs whose claims have the types we issue, or a 401.

simplejwt checks the signature, `exp` and the token type, then hands `user_id` and `jti`
to the ORM as they are: a validly signed token carrying `"user_id": "abc"` or an object
crashed the lookup (500). These token classes refuse such claims before anything uses them."""

from typing import Any

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

MAX_PK = 2**63 - 1  # BigAutoField
MAX_JTI_LENGTH = 255  # OutstandingToken.jti


def _is_user_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit() and len(value) <= 19):
            return False
        value = int(value)
    return isinstance(value, int) and 0 < value <= MAX_PK


def check_claims(payload: dict[str, Any]) -> None:
    if not _is_user_id(payload.get(api_settings.USER_ID_CLAIM)):
        raise TokenError("Token contained no recognizable user identification")
    jti = payload.get(api_settings.JTI_CLAIM)
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise TokenError("Token has no valid id")
    if not isinstance(payload.get(api_settings.TOKEN_TYPE_CLAIM), str):
        raise TokenError("Token has no valid type")


class CheckedAccessToken(AccessToken):
    def verify(self) -> None:
        check_claims(self.payload)
        super().verify()


class CheckedRefreshToken(RefreshToken):
    access_token_class = CheckedAccessToken

    def verify(self, *args: Any, **kwargs: Any) -> None:
        check_claims(self.payload)  # before the blacklist lookup reads `jti`
        super().verify(*args, **kwargs)


class CheckedTokenRefreshSerializer(TokenRefreshSerializer):
    token_class = CheckedRefreshToken
