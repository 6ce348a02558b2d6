from django.urls import path

from apps.notifications import apis

app_name = "notifications_api"

urlpatterns = [
    path("notifications/", apis.NotificationListApi.as_view(), name="notifications"),
]
