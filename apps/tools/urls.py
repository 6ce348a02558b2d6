from django.urls import path

from apps.tools import apis

urlpatterns = [
    path("tools/", apis.ToolListApi.as_view(), name="api-tools"),
    path("tools/<str:name>/invoke", apis.ToolInvokeApi.as_view(), name="api-tool-invoke"),
]
