from django.conf import settings
from django.http import HttpRequest


def owm(request: HttpRequest) -> dict[str, object]:
    return {
        "OWM_LLM_CONFIGURED": bool(settings.OWM_LLM_BASE_URL),
        "OWM_LLM_MODEL": settings.OWM_LLM_MODEL,
        "OWM_EMBEDDED": settings.EMBEDDED,
    }
