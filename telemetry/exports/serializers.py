from rest_framework import serializers

from telemetry.models import ExportJob


class ExportJobSerializer(serializers.ModelSerializer):
    sensor = serializers.CharField(source="sensor_id")
    download_url = serializers.SerializerMethodField(help_text="Presigned GET URL once the job is done")

    class Meta:
        model = ExportJob
        fields = ["id", "sensor", "kind", "start", "end", "status", "rows", "size_bytes", "attempts", "error",
                  "created_at", "started_at", "finished_at", "download_url"]

    def get_download_url(self, job: ExportJob) -> str | None:
        return self.context.get("download_urls", {}).get(job.pk)
