"""When the database is down, say so: 503 with a JSON message under /api/ and
/hooks/, a plain page elsewhere, instead of a 500 and a traceback.

    MIDDLEWARE = [..., "apps.core.db_unavailable.DatabaseUnavailableMiddleware"]

Its `process_exception` sees what a view raises (DRF re-raises database errors,
and the session and user are loaded lazily inside the view), so the position in
MIDDLEWARE does not matter for those. The page is a static string: rendering
_base.html would ask the database for the user again."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
MESSAGE = "The database is unavailable right now; nothing was changed. Try again in a moment."
JSON_PREFIXES = ("/api/", "/hooks/")
PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>Temporarily unavailable - OWM</title></head><body><main>"
    '<h1>Temporarily unavailable</h1><p>{message}</p><p><a href="">Try again</a></p>'
    "</main></body></html>"
)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(JSON_PREFIXES):
        body = {"error": {"kind": "database_unavailable", "message": MESSAGE}}
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        response = HttpResponse(PAGE.format(message=MESSAGE), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable on %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response(request)
