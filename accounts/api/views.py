"""Thin auth endpoints: validate input, call a service, render output."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts import services
from accounts.api import serializers as s
from accounts.models import User, normalize_email
from accounts.throttles import (
    EmailLinkThrottle,
    LoginEmailThrottle,
    LoginIPThrottle,
    PasswordResetEmailThrottle,
    PasswordResetIPThrottle,
    RegisterIPThrottle,
    WalletNonceThrottle,
)
from core.auth import request_user
from core.errors import ApplicationError
from core.schema import error_response

NO_CONTENT = OpenApiResponse(description="Done; no body.")


class PublicAPIView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]


class RegisterView(PublicAPIView):
    throttle_classes = [RegisterIPThrottle]

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        request=s.RegisterInputSerializer,
        responses={201: s.RegisterOutputSerializer, 409: error_response(409)},
    )
    def post(self, request: Request) -> Response:
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        body = {"user": user, **services.user_tokens(user=user)}
        return Response(s.RegisterOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class LoginView(PublicAPIView):
    throttle_classes = [LoginIPThrottle, LoginEmailThrottle]

    @extend_schema(
        operation_id="auth_login",
        tags=["auth"],
        request=s.LoginInputSerializer,
        responses={200: s.TokenPairSerializer, 401: error_response(401)},
    )
    def post(self, request: Request) -> Response:
        data = s.LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request,
            email=normalize_email(data.validated_data["email"]),
            password=data.validated_data["password"],
        )
        if not isinstance(user, User):
            raise ApplicationError(
                "Email or password is not correct.", code="invalid_credentials", status_code=401
            )
        return Response(s.TokenPairSerializer(services.user_tokens(user=user)).data)


class RefreshView(PublicAPIView):
    @extend_schema(
        operation_id="auth_refresh",
        tags=["auth"],
        request=s.RefreshInputSerializer,
        responses={200: s.TokenPairSerializer, 401: error_response(401)},
    )
    def post(self, request: Request) -> Response:
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            pair = services.token_refresh(refresh=data.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        return Response(s.TokenPairSerializer(pair).data)


class LogoutView(APIView):
    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        request=s.RefreshInputSerializer,
        responses={204: NO_CONTENT},
    )
    def post(self, request: Request) -> Response:
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.user_logout(user=request_user(request), refresh=data.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(operation_id="auth_me", tags=["auth"], responses={200: s.UserSerializer})
    def get(self, request: Request) -> Response:
        return Response(s.UserSerializer(request_user(request)).data)

    @extend_schema(
        operation_id="auth_me_update",
        tags=["auth"],
        request=s.MeUpdateInputSerializer,
        responses={200: s.UserSerializer},
    )
    def patch(self, request: Request) -> Response:
        data = s.MeUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request_user(request), **data.validated_data)
        return Response(s.UserSerializer(user).data)


class PasswordChangeView(APIView):
    @extend_schema(
        operation_id="auth_password_change",
        tags=["auth"],
        request=s.PasswordChangeInputSerializer,
        responses={204: NO_CONTENT},
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_change_password(user=request_user(request), **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WalletNonceView(APIView):
    throttle_classes = [WalletNonceThrottle]

    @extend_schema(
        operation_id="auth_wallet_nonce",
        tags=["auth"],
        request=s.WalletNonceInputSerializer,
        responses={201: s.WalletNonceOutputSerializer, 409: error_response(409)},
    )
    def post(self, request: Request) -> Response:
        data = s.WalletNonceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = services.wallet_nonce_create(
            user=request_user(request), address=data.validated_data["address"]
        )
        return Response(
            s.WalletNonceOutputSerializer(challenge).data, status=status.HTTP_201_CREATED
        )


class WalletLinkView(APIView):
    @extend_schema(
        operation_id="auth_wallet_link",
        tags=["auth"],
        request=s.WalletLinkInputSerializer,
        responses={200: s.UserSerializer, 409: error_response(409), 422: error_response(422)},
    )
    def post(self, request: Request) -> Response:
        data = s.WalletLinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.wallet_link(user=request_user(request), **data.validated_data)
        return Response(s.UserSerializer(user).data)


class PasswordResetView(PublicAPIView):
    throttle_classes = [PasswordResetIPThrottle, PasswordResetEmailThrottle]

    @extend_schema(
        operation_id="auth_password_reset",
        tags=["auth"],
        request=s.PasswordResetInputSerializer,
        responses={
            202: OpenApiResponse(description="Accepted; a mail is sent if the account exists.")
        },
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordResetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_request(email=data.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicAPIView):
    @extend_schema(
        operation_id="auth_password_reset_confirm",
        tags=["auth"],
        request=s.PasswordResetConfirmInputSerializer,
        responses={204: NO_CONTENT},
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeDeleteView(APIView):
    @extend_schema(
        operation_id="auth_me_delete",
        tags=["auth"],
        request=s.PasswordConfirmInputSerializer,
        responses={204: NO_CONTENT, 409: error_response(409)},
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_delete(user=request_user(request), **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerifyView(PublicAPIView):
    @extend_schema(
        operation_id="auth_email_verify",
        tags=["auth"],
        request=s.EmailVerifyInputSerializer,
        responses={200: s.UserSerializer, 409: error_response(409)},
    )
    def post(self, request: Request) -> Response:
        data = s.EmailVerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.email_verify(token=data.validated_data["token"])
        return Response(s.UserSerializer(user).data)


class EmailVerifyResendView(APIView):
    throttle_classes = [EmailLinkThrottle]

    @extend_schema(
        operation_id="auth_email_verify_resend",
        tags=["auth"],
        request=None,
        responses={202: OpenApiResponse(description="A new link is on its way.")},
    )
    def post(self, request: Request) -> Response:
        services.email_verification_send(user=request_user(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class EmailChangeView(APIView):
    throttle_classes = [EmailLinkThrottle]

    @extend_schema(
        operation_id="auth_email_change",
        tags=["auth"],
        request=s.EmailChangeInputSerializer,
        responses={202: s.UserSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.EmailChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.email_change_request(user=request_user(request), **data.validated_data)
        return Response(s.UserSerializer(user).data, status=status.HTTP_202_ACCEPTED)


class WalletUnlinkView(APIView):
    @extend_schema(
        operation_id="auth_wallet_unlink",
        tags=["auth"],
        request=None,
        responses={200: s.UserSerializer},
    )
    def post(self, request: Request) -> Response:
        return Response(s.UserSerializer(services.wallet_unlink(user=request_user(request))).data)
