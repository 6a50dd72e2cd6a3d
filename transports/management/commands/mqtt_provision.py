"""`python manage.py mqtt_provision [--dry-run]`: bring Mosquitto's dynamic security in line
with the registry (removes clients of deleted sensors, enables or disables by status, lists
sensors that have no MQTT credentials yet)."""

from django.core.management.base import BaseCommand, CommandError

from transports.mqtt.dynsec import DynsecAdmin, DynsecError
from transports.mqtt.endpoint import endpoint_configured
from transports.mqtt.provisioning import dynsec_reconcile


class Command(BaseCommand):
    help = "Reconcile the MQTT broker's device clients with the registered sensors."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would change; change nothing.")

    def handle(self, *args, dry_run: bool, **options):
        endpoint = endpoint_configured()
        if endpoint is None:
            raise CommandError("Set MQTT_URL (e.g. mqtt://sensorium:SECRET@127.0.0.1:1883).")
        try:
            with DynsecAdmin(endpoint) as admin:
                outcome = dynsec_reconcile(admin=admin, apply=not dry_run)
        except DynsecError as exc:
            raise CommandError(str(exc)) from exc
        verb = "would be" if dry_run else "were"
        for label, names in (("removed (sensor deleted)", outcome.removed), ("enabled", outcome.enabled),
                             ("disabled (sensor inactive)", outcome.disabled)):
            self.stdout.write(f"{len(names)} client(s) {verb} {label}{': ' + ', '.join(names) if names else ''}")
        if outcome.missing:
            self.stdout.write(f"{len(outcome.missing)} sensor(s) have no MQTT credentials; rotate their token "
                              f"(POST /api/v1/sensors/<id>/rotate-token) to give them some: {', '.join(outcome.missing)}")
