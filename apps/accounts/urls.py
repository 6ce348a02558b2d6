from django.urls import re_path

from apps.accounts import apis

urlpatterns = [
    re_path(r"^token/?$", apis.TokenApi.as_view(), name="api-token"),
    re_path(r"^refresh/?$", apis.RefreshApi.as_view(), name="api-token-refresh"),
]
