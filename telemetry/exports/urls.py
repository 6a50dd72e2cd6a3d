from django.urls import path

from telemetry.exports import api

urlpatterns = [
    path("exports", api.ExportListApi.as_view(), name="exports"),
    path("exports/<uuid:job_id>", api.ExportDetailApi.as_view(), name="export-detail"),
]
