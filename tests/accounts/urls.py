"""owm.urls plus what this app asks the lead to wire: its log-in view and pages."""

from django.urls import include, path

from apps.accounts.views import LoginView
from owm.urls import urlpatterns as owm_urlpatterns

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("account/", include("apps.accounts.page_urls")),
    *owm_urlpatterns,
]
