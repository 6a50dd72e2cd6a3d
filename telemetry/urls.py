from django.urls import include, path

from telemetry import api

urlpatterns = [
    path("blink/", include("telemetry.blink.urls")),
    path("", include("telemetry.exports.urls")),
    path("data/latest/<str:sensor_id>", api.LatestReadingApi.as_view(), name="data-latest"),
    path("data/<str:sensor_id>", api.ReadingsApi.as_view(), name="data-readings"),
    path("data/<str:sensor_id>/daily", api.DailyTotalsApi.as_view(), name="data-daily"),
    path("retrieve-data/<str:device_id>", api.RetrieveDataApi.as_view(), name="retrieve-data"),
]
