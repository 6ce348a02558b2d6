from django.urls import path

from apps.agents.consumers import ApprovalsConsumer, RunConsumer
from apps.customerservice.consumers import SupportQueueConsumer

websocket_urlpatterns = [
    path("ws/runs/<uuid:run_id>/", RunConsumer.as_asgi()),
    path("ws/approvals/", ApprovalsConsumer.as_asgi()),
    path("ws/support/queue/", SupportQueueConsumer.as_asgi()),
]
