from django.urls import path

from transports import http

urlpatterns = [
    path("data/ingest", http.IngestApi.as_view(), name="data-ingest"),
    path("store-data/", http.StoreDataApi.as_view(), name="store-data"),
]
