"""/alarms/: every alarm the user may see, with acknowledge and clear buttons (plain form
posts, so the page works without JavaScript)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alerts.models import AlarmState, Severity
from alerts.selectors import alarm_get, alarm_list
from alerts.services import AlarmTransitionInvalid, alarm_acknowledge, alarm_clear

ALARMS_SHOWN = 200


@login_required
def alarms_page(request):
    shown = request.GET.get("show", "open")
    severity = request.GET.get("severity", "")
    severity = severity if severity in Severity.values else ""
    alarms = alarm_list(user=request.user, active=True if shown == "open" else None, severity=severity)
    return render(request, "dashboards/alarms.html", {
        "alarms": alarms.select_related("sensor")[:ALARMS_SHOWN], "show": shown, "severity": severity,
        "severities": Severity.choices, "open_count": alarm_list(user=request.user, active=True).count(),
        "next": request.get_full_path(), "states": AlarmState,
    })


def _back(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("dashboards:alarms")


def _transition(request, alarm_id: int, step, done: str):
    alarm = alarm_get(user=request.user, alarm_id=alarm_id)
    try:
        step(alarm=alarm, user=request.user, note=request.POST.get("note", "")[:300])
        messages.success(request, f"Alarm {alarm.pk} {done}.")
    except AlarmTransitionInvalid as exc:
        messages.warning(request, str(exc))
    return _back(request)


@login_required
@require_POST
def alarm_acknowledge_view(request, alarm_id: int):
    return _transition(request, alarm_id, alarm_acknowledge, "acknowledged")


@login_required
@require_POST
def alarm_clear_view(request, alarm_id: int):
    return _transition(request, alarm_id, alarm_clear, "cleared")
