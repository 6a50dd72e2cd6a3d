from django.contrib import admin
from django.db import models

from alerts.models import Alarm, AlarmEvent, NotificationChannel, NotificationDelivery, Rule
from alerts.services import AlarmTransitionInvalid, alarm_acknowledge


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "owner", "enabled", "url", "created_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "url", "owner__username"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "sensor", "device_type", "condition", "field", "threshold", "for_seconds",
                    "hysteresis", "severity", "enabled"]
    list_filter = ["condition", "severity", "enabled", "device_type"]
    search_fields = ["name", "sensor__id", "owner__username", "field"]
    raw_id_fields = ["sensor"]
    filter_horizontal = ["channels"]


class AlarmEventInline(admin.TabularInline):
    model = AlarmEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "by", "value", "note"]


@admin.action(description="Acknowledge the selected active alarms")
def acknowledge_selected(modeladmin, request, queryset):
    for alarm in queryset:
        try:
            alarm_acknowledge(alarm=alarm, user=request.user, note="acknowledged in the admin")
        except AlarmTransitionInvalid:
            pass


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = ["id", "sensor", "rule", "severity", "state", "raised_at", "last_value", "retrigger_count",
                    "acknowledged_by", "cleared_at"]
    list_filter = ["state", "severity"]
    search_fields = ["sensor__id", "rule__name", "message"]
    readonly_fields = [field.name for field in Alarm._meta.fields]
    inlines = [AlarmEventInline]
    actions = [acknowledge_selected]

    def has_add_permission(self, request):
        return False  # alarms are raised by their rules


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    """Every email and webhook attempt; filter on status "Dead letter" for the ones given up."""

    list_display = ["id", "channel", "event", "status", "attempts", "last_status_code", "last_attempt_at",
                    "delivered_at"]
    list_filter = ["status", "channel__kind"]
    readonly_fields = [field.name for field in NotificationDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
