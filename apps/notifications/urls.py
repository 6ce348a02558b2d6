from django.urls import path

from apps.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.delivery_list, name="deliveries"),
    path("channels/", views.channel_list, name="channels"),
]
