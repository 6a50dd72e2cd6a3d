from django.urls import path, re_path

from sensors import collect_api

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

urlpatterns = [
    re_path(r"^sensors/(?P<sensor_id>[A-Za-z0-9][A-Za-z0-9_.-]{0,49})/collect/?$",
            collect_api.SensorCollectApi.as_view(), name="sensor-collect"),
    path("collect-data/", collect_api.CollectDataApi.as_view(), name="collect-data"),
    re_path(rf"^jobs/(?P<job_id>{UUID})/?$", collect_api.CollectJobApi.as_view(), name="collect-job-detail"),
]
