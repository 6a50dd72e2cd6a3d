from django.urls import path

from users.oidc import api, views

# Mounted under /api/v1/.
urlpatterns = [
    path("auth/oidc/providers", api.OidcProvidersApi.as_view(), name="auth-oidc-providers"),
    path("auth/oidc/<str:provider>/token", api.OidcTokenApi.as_view(), name="auth-oidc-token"),
]

# Mounted under /accounts/oidc/ with the namespace "oidc".
pages = [
    path("logout/", views.provider_sign_out, name="provider-sign-out"),
    path("<str:provider_name>/login/", views.sign_in_start, name="sign-in"),
    path("<str:provider_name>/link/", views.link_start, name="link"),
    path("<str:provider_name>/unlink/", views.unlink, name="unlink"),
    path("<str:provider_name>/callback/", views.callback, name="callback"),
]
