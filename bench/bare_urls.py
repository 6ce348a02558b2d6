from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "accepted", "bytes": len(request.body)}, status=202)


urlpatterns = [path("bare/", bare)]
