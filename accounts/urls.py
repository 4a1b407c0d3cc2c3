from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("accounts:password-change-done")),
        name="password-change",
    ),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password-change-done"),
    path("api-token/", views.api_token, name="api-token"),
    path("api-token/new/", views.api_token_create, name="api-token-create"),
    path("api-token/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("two-factor/", views.two_factor_settings, name="two-factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
    path("two-factor/off/", views.two_factor_disable, name="two-factor-disable"),
]
