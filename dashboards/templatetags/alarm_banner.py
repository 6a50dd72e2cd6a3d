"""`{% alarm_banner %}` / `{% alarm_banner sensor_id=… %}`: the open alarms strip on the fleet
and sensor pages, rendered on the server and kept live by static/dashboards/alarms.js."""

from django import template

from alerts.selectors import alarm_list

register = template.Library()
SHOWN = 5


@register.inclusion_tag("dashboards/_alarm_banner.html", takes_context=True)
def alarm_banner(context, sensor_id: str = ""):
    request = context["request"]
    open_alarms = alarm_list(user=request.user, active=True, sensor_id=sensor_id)
    return {"alarms": list(open_alarms[:SHOWN]), "count": open_alarms.count(), "sensor_id": sensor_id,
            "next": request.get_full_path(), "csrf_token": context.get("csrf_token")}
