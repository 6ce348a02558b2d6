from django.urls import path

from apps.accounts import apis

urlpatterns = [
    path("token", apis.TokenApi.as_view(), name="api-token"),
    path("refresh", apis.RefreshApi.as_view(), name="api-token-refresh"),
]
