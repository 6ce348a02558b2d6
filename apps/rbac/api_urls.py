from django.urls import path

from apps.rbac import apis

urlpatterns = [
    path("rbac/grants/", apis.GrantListApi.as_view(), name="rbac-grants"),
    path("rbac/grants/<int:grant_id>/", apis.GrantDetailApi.as_view(), name="rbac-grant"),
    path("rbac/roles/", apis.RoleListApi.as_view(), name="rbac-roles"),
    path("rbac/effective/", apis.EffectiveApi.as_view(), name="rbac-effective"),
]
