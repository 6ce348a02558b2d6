"""The identity API, mounted at /api/auth/."""

from django.urls import path

from apps.accounts import apis

urlpatterns = [
    path("token", apis.TokenApi.as_view(), name="api-token"),
    path("refresh", apis.RefreshApi.as_view(), name="api-token-refresh"),
    path("logout", apis.LogoutApi.as_view(), name="api-token-logout"),
    path("users/<str:username>/revoke", apis.UserRevokeApi.as_view(), name="api-user-revoke"),
    path("service-accounts/", apis.ServiceAccountListApi.as_view(), name="api-service-accounts"),
    path(
        "service-accounts/<int:account_id>/keys",
        apis.ApiKeyCreateApi.as_view(),
        name="api-service-account-keys",
    ),
    path("keys/<str:prefix>/revoke", apis.ApiKeyRevokeApi.as_view(), name="api-key-revoke"),
]
