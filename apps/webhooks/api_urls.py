from django.urls import path

from apps.webhooks import apis

app_name = "webhooks_api"

urlpatterns = [
    path("webhooks/endpoints/", apis.EndpointListApi.as_view(), name="endpoints"),
    path("webhooks/endpoints/<slug:slug>/rotate", apis.EndpointRotateApi.as_view(), name="rotate"),
    path(
        "webhooks/endpoints/<slug:slug>/deliveries/",
        apis.DeliveryListApi.as_view(),
        name="deliveries",
    ),
    path("webhooks/deliveries/<int:pk>/replay", apis.DeliveryReplayApi.as_view(), name="replay"),
]
