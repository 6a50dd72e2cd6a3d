from django.urls import path

from telemetry.blink import api

urlpatterns = [
    path("track", api.BlinkTrackApi.as_view(), name="blink-track"),
    path("sync", api.BlinkSyncApi.as_view(), name="blink-sync"),
    path("stats", api.BlinkStatsApi.as_view(), name="blink-stats"),
]
