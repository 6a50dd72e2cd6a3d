import stat

from django.core.management import call_command

from sensors.models import Sensor
from sensors.tokens import device_token_hash
from users.models import User


def test_seed_demo_creates_an_admin_and_sensors_whose_tokens_work(db, tmp_path, capsys):
    tokens_file = tmp_path / "tokens.txt"
    call_command("seed_demo", tokens_file=str(tokens_file))
    out = capsys.readouterr().out
    assert "username admin, password sensorium-demo" in out
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("sensorium-demo")
    tokens = dict(line.split("=", 1) for line in tokens_file.read_text().split())
    assert set(tokens) == set(Sensor.objects.values_list("pk", flat=True)) and len(tokens) >= 3
    for sensor_id, token in tokens.items():
        assert Sensor.objects.get(pk=sensor_id).token_hash == device_token_hash(token)
    assert stat.S_IMODE(tokens_file.stat().st_mode) == 0o600


def test_seed_demo_twice_keeps_the_password_and_issues_fresh_tokens(db, tmp_path, capsys, monkeypatch):
    first, second = tmp_path / "1.txt", tmp_path / "2.txt"
    call_command("seed_demo", tokens_file=str(first))
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "another-password")
    call_command("seed_demo", tokens_file=str(second))
    assert User.objects.filter(username="admin").count() == 1
    assert User.objects.get(username="admin").check_password("sensorium-demo")
    assert first.read_text() != second.read_text()
    assert Sensor.objects.count() == len(second.read_text().split())
