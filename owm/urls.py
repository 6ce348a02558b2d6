from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from apps.accounts.views import LoginView

# Domain apps: their pages under a prefix, their JSON API under /api/.
PAGE_APPS = {
    "customerservice": "support",
    "datatools": "data",
    "notifications": "notifications",
    "rules": "rules",
    "audit": "audit",
    "rbac": "rbac",
    "workflows": "workflows",
    "webhooks": "webhooks",
}

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("account/", include("apps.accounts.page_urls")),
    path("hooks/", include("apps.webhooks.hook_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/auth/", include("apps.accounts.urls")),
    path("api/", include("apps.tools.urls")),
    path("api/", include("apps.agents.urls")),
    *[path("api/", include(f"apps.{app}.api_urls")) for app in PAGE_APPS],
    *[path(f"{prefix}/", include(f"apps.{app}.urls")) for app, prefix in PAGE_APPS.items()],
    path("", include("apps.dashboard.urls")),
]
