import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from core.errors import json_error
from core.health import status_report
from core.metrics import metrics_exposition


@require_GET
@never_cache
def health(request):
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def status(request):
    healthy, body = status_report()
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
@never_cache
def metrics(request):
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(presented, token):
            return json_error("A valid metrics bearer token is required.", 401)
    return HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_LATEST)

