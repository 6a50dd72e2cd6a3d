from django.urls import include, path

from telemetry import api

urlpatterns = [
    path("data/ingest", api.IngestApi.as_view(), name="data-ingest"),
    path("store-data/", api.StoreDataApi.as_view(), name="store-data"),
    path("blink/", include("telemetry.blink.urls")),
]
