from django.urls import path

from apps.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="endpoints"),
    path("deliveries/<int:pk>/replay", views.delivery_replay_view, name="replay"),
    path("<slug:slug>/", views.delivery_list, name="deliveries"),
    path("<slug:slug>/rotate", views.endpoint_rotate, name="rotate"),
]
