"""ASGI entry point: HTTP through Django, websockets through Channels.

In the embedded mode (no REDIS_URL) this process also runs the Celery worker
in a thread, so one command serves the dashboard and executes runs."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "owm.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.accounts.ws_auth import JWTQueryAuthMiddleware  # noqa: E402
from apps.core.embedded import start_embedded_worker  # noqa: E402
from owm.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(JWTQueryAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

start_embedded_worker()
