"""URLs for the error-handling tests: views that fail the way a bug would."""

from django.urls import include, path
from rest_framework.views import APIView


class FailingApi(APIView):
    def get(self, request):
        raise RuntimeError("database password is hunter2")


def failing_view(request):
    raise RuntimeError("plain view bug with secret hunter2")


urlpatterns = [
    path("api/v1/failing", FailingApi.as_view()),
    path("api/v1/failing-plain", failing_view),
    path("", include("project.urls")),
]

handler500 = "core.errors.server_error"
