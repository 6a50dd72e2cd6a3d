from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dashboards.selectors import fleet_counts, fleet_sensor_list
from sensors.models import DeviceType, SensorStatus
from sensors.selectors import sensor_get, sensor_list


@login_required
def fleet_overview_page(request):
    device_type = request.GET.get("device_type", "")
    status = request.GET.get("status", "")
    return render(request, "dashboards/overview.html", {
        "sensors": fleet_sensor_list(user=request.user, device_type=device_type, status=status),
        "counts": fleet_counts(user=request.user),
        "device_type": device_type,
        "status": status,
        "device_types": DeviceType.choices,
        "statuses": SensorStatus.choices,
    })


@login_required
def sensor_page(request, sensor_id: str):
    sensor = sensor_get(user=request.user, sensor_id=sensor_id)
    return render(request, "dashboards/sensor.html", {"sensor": sensor})


@login_required
def energy_page(request):
    meters = sensor_list(user=request.user).filter(device_type=DeviceType.ENERGY_METER)
    return render(request, "dashboards/energy.html", {"meters": meters})


@login_required
def wellness_page(request):
    return render(request, "dashboards/wellness.html", {})


class SignOutView(auth_views.LogoutView):
    """Sign-out is a POST (a link must not sign anyone out); a GET asks for confirmation."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "registration/logout_confirm.html")
