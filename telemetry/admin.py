from django.contrib import admin

from telemetry.models import BlinkRecord, ExportJob


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


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "sensor", "kind", "start", "end", "status", "rows", "attempts"]
    list_filter = ["status", "kind"]
    search_fields = ["user__username", "sensor__id", "key"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "sensor"]
    readonly_fields = ["id", "user", "sensor", "kind", "start", "end", "status", "bucket", "key", "rows", "size_bytes",
                       "attempts", "error", "created_at", "started_at", "finished_at"]

    def has_add_permission(self, request):
        return False  # jobs are created through the API, which also queues them
