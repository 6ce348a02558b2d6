from django.urls import path, re_path

from apps.tools import apis

urlpatterns = [
    path("tools/", apis.ToolListApi.as_view(), name="api-tools"),
    re_path(
        r"^tools/(?P<name>[A-Za-z0-9_.-]+)/invoke/?$",
        apis.ToolInvokeApi.as_view(),
        name="api-tool-invoke",
    ),
]
