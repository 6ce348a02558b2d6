"""Identity pages (staff), mounted under /account/."""

from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("service-accounts/", views.service_account_list, name="service-accounts"),
    path("service-accounts/<int:account_id>/keys", views.api_key_create, name="api-key-create"),
    path("keys/<str:prefix>/revoke", views.api_key_revoke, name="api-key-revoke"),
]
