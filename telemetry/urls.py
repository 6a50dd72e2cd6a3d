from django.urls import path

from telemetry import api

urlpatterns = [
    path("data/ingest", api.IngestApi.as_view(), name="data-ingest"),
    path("store-data/", api.StoreDataApi.as_view(), name="store-data"),
    path("data/latest/<str:sensor_id>", api.LatestReadingApi.as_view(), name="data-latest"),
    path("data/<str:sensor_id>", api.ReadingsApi.as_view(), name="data-readings"),
    path("data/<str:sensor_id>/daily", api.DailyTotalsApi.as_view(), name="data-daily"),
    path("retrieve-data/<str:device_id>", api.RetrieveDataApi.as_view(), name="retrieve-data"),
]
