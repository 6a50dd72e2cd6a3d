from django.urls import path

from dashboards import alarm_views, views

# Mounted at the site root with the namespace "dashboards".
urlpatterns = [
    path("", views.fleet_overview_page, name="overview"),
    path("sensors/<str:sensor_id>/", views.sensor_page, name="sensor"),
    path("energy/", views.energy_page, name="energy"),
    path("wellness/", views.wellness_page, name="wellness"),
    path("alarms/", alarm_views.alarms_page, name="alarms"),
    path("alarms/<int:alarm_id>/acknowledge", alarm_views.alarm_acknowledge_view, name="alarm-acknowledge"),
    path("alarms/<int:alarm_id>/clear", alarm_views.alarm_clear_view, name="alarm-clear"),
    path("account/", views.account_page, name="account"),
]
