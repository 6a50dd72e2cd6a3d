import re
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.urls import get_urlconf, is_valid_path

from core.metrics import HTTP_LATENCY, HTTP_REQUESTS


_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    if not match or not match.route:
        return "unmatched"
    # The route pattern, not the path, keeps label cardinality bounded; regex routes
    # (DRF routers) read like path routes: "api/v1/sensors/<pk>".
    return _REGEX_GROUP.sub(r"<\1>", match.route).replace("^", "").replace("$", "")


def _observe(request, response, started: float) -> None:
    route = _route_of(request)
    HTTP_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
    HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()


class HybridMiddleware:
    """A middleware that runs natively under ASGI and WSGI: `before` the view, `after` it."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        state = self.before(request)
        response = self.get_response(request)
        self.after(request, response, state)
        return response

    async def __acall__(self, request):
        state = self.before(request)
        response = await self.get_response(request)
        self.after(request, response, state)
        return response

    def before(self, request):
        return None

    def after(self, request, response, state) -> None:
        pass


class RequestMetricsMiddleware(HybridMiddleware):
    """Counts requests and records their latency for /metrics."""

    def before(self, request) -> float:
        return time.perf_counter()

    def after(self, request, response, started: float) -> None:
        _observe(request, response, started)


class ApiTrailingSlashMiddleware(HybridMiddleware):
    """Serve an API path with or without its trailing slash, without redirecting.

    CommonMiddleware's APPEND_SLASH answers a 301 (or raises on POST), and a client
    following a redirect resends a POST as a GET, losing the body. Under /api/ the other
    spelling is resolved in place instead.
    """

    def before(self, request) -> None:
        path = request.path_info
        if not path.startswith("/api/") or is_valid_path(path, get_urlconf()):
            return
        other = path[:-1] if path.endswith("/") else path + "/"
        if is_valid_path(other, get_urlconf()):
            request.path_info = other
            request.path = request.path[: len(request.path) - len(path)] + other
