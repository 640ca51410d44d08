from django.urls import path

from accounts.api import views

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="auth-register"),
    path("login/", views.LoginView.as_view(), name="auth-login"),
    path("refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("me/", views.MeView.as_view(), name="auth-me"),
    path("me/delete/", views.MeDeleteView.as_view(), name="auth-me-delete"),
    path("email/verify/", views.EmailVerifyView.as_view(), name="auth-email-verify"),
    path(
        "email/verify/resend/",
        views.EmailVerifyResendView.as_view(),
        name="auth-email-verify-resend",
    ),
    path("email/change/", views.EmailChangeView.as_view(), name="auth-email-change"),
    path("wallet/unlink/", views.WalletUnlinkView.as_view(), name="auth-wallet-unlink"),
    path("wallet/nonce/", views.WalletNonceView.as_view(), name="auth-wallet-nonce"),
    path("wallet/link/", views.WalletLinkView.as_view(), name="auth-wallet-link"),
    path("password/change/", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "password/reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
]
