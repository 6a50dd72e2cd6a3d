from django.urls import path

from dashboards import views

# Mounted at the site root with the namespace "dashboards".
urlpatterns = [
    path("", views.fleet_overview_page, name="overview"),
    path("sensors/<str:sensor_id>/", views.sensor_page, name="sensor"),
    path("energy/", views.energy_page, name="energy"),
    path("wellness/", views.wellness_page, name="wellness"),
]
