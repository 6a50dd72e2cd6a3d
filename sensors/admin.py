from django.contrib import admin, messages

from sensors.credentials import credentials_changed
from sensors.models import CollectJob, Command, Sensor, SensorStatus
from sensors.services import sensor_status_set, sensor_token_rotate


@admin.register(Sensor)
class SensorAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "device_type", "status", "online", "connected_since", "last_message_at", "owner",
                    "mac_address", "battery_level", "signal_strength", "last_seen"]
    list_filter = ["status", "online", "device_type", "ble_profile"]
    search_fields = ["id", "name", "mac_address", "owner__username"]
    readonly_fields = ["created_at", "updated_at", "last_seen", "battery_level", "signal_strength",
                       "token_rotated_at", "online", "connected_since", "last_message_at", "connection_channel"]
    autocomplete_fields = ["owner"]
    actions = ["activate", "deactivate"]

    def get_readonly_fields(self, request, obj=None):
        # The id is the key readings are stored under; it is chosen once.
        return [*self.readonly_fields, "id"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            credentials_changed(token_hashes=[obj.token_hash], revoked_channels=[
                obj.connection_channel] if obj.status == SensorStatus.INACTIVE else [])
        else:
            token = sensor_token_rotate(sensor=obj)
            self.message_user(
                request,
                f"Device token for {obj.pk} (shown once, copy it to the device now): {token}",
                messages.WARNING,
            )

    @admin.action(description="Activate selected sensors")
    def activate(self, request, queryset):
        count = sensor_status_set(sensors=queryset, status=SensorStatus.ACTIVE)
        self.message_user(request, f"{count} sensor(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate selected sensors")
    def deactivate(self, request, queryset):
        count = sensor_status_set(sensors=queryset, status=SensorStatus.INACTIVE)
        self.message_user(request, f"{count} sensor(s) deactivated.", messages.SUCCESS)


@admin.register(CollectJob)
class CollectJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are created through the API and finished by the `ble` worker."""

    list_display = ["id", "sensor", "owner", "status", "seconds", "readings", "rejected", "created_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["sensor__id", "owner__username", "error"]
    list_select_related = ["sensor", "owner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Command)
class CommandAdmin(admin.ModelAdmin):
    list_display = ["name", "sensor", "status", "created_by", "created_at", "expires_at", "sent_at", "completed_at"]
    list_filter = ["status", "name"]
    search_fields = ["sensor__id", "name"]
    readonly_fields = ["id", "sensor", "name", "params", "ttl_seconds", "status", "reply", "created_by",
                       "created_at", "expires_at", "sent_at", "completed_at"]
    list_select_related = ["sensor", "created_by"]

    def has_add_permission(self, request):
        # Commands are sent through the API so that delivery happens; the admin shows them.
        return False
