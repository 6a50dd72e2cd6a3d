from django.contrib import admin

from telemetry.models import BlinkRecord


@admin.register(BlinkRecord)
class BlinkRecordAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "user", "sensor", "blink_count", "interval_s", "client_id"]
    list_filter = ["sensor__device_type"]
    search_fields = ["user__username", "sensor__id", "client_id"]
    date_hierarchy = "timestamp"
    list_select_related = ["user", "sensor"]
    # Records are the client's measurements; the admin shows them, it does not rewrite them.
    readonly_fields = ["sensor", "user", "client_id", "timestamp", "blink_count", "interval_s", "extras", "received_at"]

    def has_add_permission(self, request):
        return False
