from rest_framework import serializers

from core.datetimes import AwareDateTimeField
from telemetry.models import ExportJob, ExportKind


class ExportRequestSerializer(serializers.Serializer):
    sensor = serializers.CharField(max_length=50, help_text="Id of one of your sensors")
    start = AwareDateTimeField(help_text="ISO 8601 with a zone, or epoch milliseconds (inclusive)")
    end = AwareDateTimeField(help_text="ISO 8601 with a zone, or epoch milliseconds (exclusive)")
    kind = serializers.ChoiceField(choices=ExportKind.choices, required=False,
                                   help_text="Default: blink for eye trackers, imu for IMUs, metric otherwise")


class ExportJobSerializer(serializers.ModelSerializer):
    sensor = serializers.CharField(source="sensor_id")
    download_url = serializers.SerializerMethodField(help_text="Presigned GET URL once the job is done")

    class Meta:
        model = ExportJob
        fields = ["id", "sensor", "kind", "start", "end", "status", "rows", "size_bytes", "attempts", "error",
                  "created_at", "started_at", "finished_at", "download_url"]

    def get_download_url(self, job: ExportJob) -> str | None:
        return self.context.get("download_urls", {}).get(job.pk)
