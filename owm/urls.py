from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/auth/", include("apps.accounts.urls")),
    path("api/", include("apps.tools.urls")),
    path("api/", include("apps.agents.urls")),
    path("", include("apps.dashboard.urls")),
]
