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


class RequestMetricsMiddleware:
    """Counts requests and records their latency for /metrics."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        started = time.perf_counter()
        response = self.get_response(request)
        _observe(request, response, started)
        return response

    async def __acall__(self, request):
        started = time.perf_counter()
        response = await self.get_response(request)
        _observe(request, response, started)
        return response


class ApiTrailingSlashMiddleware:
    """Serve an API path with or without its trailing slash, without redirecting.

    CommonMiddleware's APPEND_SLASH answers a 301 (or raises on POST), and a client
    following a redirect resends a POST as a GET, losing the body. Under /api/ the other
    spelling is resolved in place instead.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        self._resolve_other_spelling(request)
        return self.get_response(request)

    async def __acall__(self, request):
        self._resolve_other_spelling(request)
        return await self.get_response(request)

    @staticmethod
    def _resolve_other_spelling(request) -> None:
        path = request.path_info
        if not path.startswith("/api/") or is_valid_path(path, get_urlconf()):
            return
        other = path[:-1] if path.endswith("/") else path + "/"
        if is_valid_path(other, get_urlconf()):
            request.path_info = other
            request.path = request.path[: len(request.path) - len(path)] + other
