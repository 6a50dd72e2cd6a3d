from datetime import timedelta

from django.contrib.auth import views as auth_views
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from dashboards import ranges
from dashboards.selectors import (
    ENERGY_DAYS,
    energy_meter_summaries,
    fleet_counts,
    fleet_sensor_list,
    sensor_history_table,
    sensor_latest_reading,
)
from sensors.models import DeviceType, SensorStatus
from sensors.selectors import command_list, sensor_get
from telemetry import selectors as telemetry_selectors
from telemetry.selectors import reading_kind
from telemetry.blink.selectors import blink_stats, eye_tracker_get
from users.oidc import sessions as oidc_sessions
from users.oidc.selectors import sign_in_methods
from users.selectors import user_time_zone
from users.services import profile_update

COMMANDS_SHOWN = 20
WELLNESS_DAYS = 30


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
    now = timezone.now()
    range_error = None
    try:
        shown = ranges.history_range_parse(name=request.GET.get("range", ""), now=now,
                                           start_text=request.GET.get("start", ""),
                                           end_text=request.GET.get("end", ""))
    except ranges.RangeInvalid as error:
        range_error = error
        shown = ranges.history_range_parse(name=ranges.DEFAULT, now=now)
    kind = reading_kind(sensor=sensor)
    return render(request, "dashboards/sensor.html", {
        "sensor": sensor,
        "kind": kind,
        "latest": sensor_latest_reading(sensor=sensor),
        "shown": shown,
        "range_error": range_error,
        "presets": ranges.PRESET_LABELS,
        "history": sensor_history_table(sensor=sensor, start=shown.start, end=shown.end),
        "commands": command_list(sensor=sensor, limit=COMMANDS_SHOWN),
        "page_config": {
            "sensorId": sensor.pk,
            "kind": kind,
            "dataUrl": reverse("data-readings", args=[sensor.pk]),
            "streamPath": f"/ws/data/stream/{sensor.pk}/",
            "presets": {name: span.total_seconds() for name, span in ranges.PRESETS.items()},
            "buckets": telemetry_selectors.BUCKETS,
            "maxPoints": telemetry_selectors.MAX_POINTS_PER_SERIES,
            "start": shown.start.isoformat(),
            "end": shown.end.isoformat(),
        },
    })


@login_required
def energy_page(request):
    meters = energy_meter_summaries(user=request.user)
    return render(request, "dashboards/energy.html", {
        "meters": meters,
        "charts": [meter.chart_data() for meter in meters],
        "days": ENERGY_DAYS,
        "tz": user_time_zone(user=request.user).key,
    })


@login_required
def wellness_page(request):
    zone = user_time_zone(user=request.user)
    now = timezone.now()
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    hourly = blink_stats(user=request.user, start=now - timedelta(hours=24), end=now, bucket="hour", tz=zone)
    daily = blink_stats(user=request.user, start=today - timedelta(days=WELLNESS_DAYS - 1), end=now,
                        bucket="day", tz=zone)
    return render(request, "dashboards/wellness.html", {
        "hourly": hourly,
        "daily": daily,
        "days": WELLNESS_DAYS,
        "zone": zone.key,
        "tracker": eye_tracker_get(user=request.user),
        "charts": {
            "zone": zone.key,
            "hourly": [[row["start"].isoformat(), row["blinks_per_min"]] for row in hourly],
            "daily": [[row["start"].isoformat(), row["blinks_per_min"]] for row in daily],
        },
    })


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=150, required=False)
    timezone = forms.CharField(max_length=64, label="Time zone", help_text="An IANA name, e.g. Europe/Berlin.")


@login_required
def account_page(request):
    profile = request.user.profile
    form = ProfileForm(request.POST if request.method == "POST" else None,
                       initial={"display_name": profile.display_name, "timezone": profile.timezone})
    if form.is_valid():
        try:
            profile_update(profile=profile, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("dashboards:account")
    return render(request, "dashboards/account.html", {
        "form": form,
        "has_password": request.user.has_usable_password(),
        "sign_in_methods": sign_in_methods(user=request.user),
    })


class SignOutView(auth_views.LogoutView):
    """Sign-out is a POST (a link must not sign anyone out); a GET asks for confirmation.

    After a sign-in through an OpenID Connect provider that offers logout, the signed-out
    page offers to sign out there too (RP-initiated logout).
    """

    http_method_names = ["get", "post", "options"]
    provider_sign_out = None

    def get(self, request, *args, **kwargs):
        return render(request, "registration/logout_confirm.html")

    def post(self, request, *args, **kwargs):
        # Read before logout flushes the session, carried into the fresh one after.
        self.provider_sign_out = oidc_sessions.provider_sign_out_offer(session=request.session)
        response = super().post(request, *args, **kwargs)
        oidc_sessions.provider_sign_out_offer_keep(session=request.session, offer=self.provider_sign_out)
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, provider_sign_out=self.provider_sign_out)
