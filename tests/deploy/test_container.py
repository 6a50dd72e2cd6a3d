"""The container image and compose stack, held to what `make run` installs and `make stack`
starts. These machines cannot build images (no container daemon, no image registry), so the
files are checked as text."""

import re
import shlex

import yaml

from deploy import stack
from tests.servers import ROOT

RUNTIME_LOCK = "requirements/runtime.txt"


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def instructions(name: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile() if instruction == name]


def test_the_image_installs_the_runtime_lock_that_make_run_installs():
    assert any(arguments.startswith(f"{RUNTIME_LOCK} ") for arguments in instructions("COPY"))
    (install,) = [arguments for arguments in instructions("RUN") if "pip install" in arguments]
    assert f"--require-hashes --no-deps -r {RUNTIME_LOCK}" in install
    makefile = (ROOT / "Makefile").read_text()
    assert f"--require-hashes --no-deps -r {RUNTIME_LOCK}" in makefile
    assert "requirements/test.txt" not in " ".join(instructions("COPY") + instructions("RUN"))


def test_the_image_is_slim_python_311_runs_as_a_user_and_checks_health():
    (base,) = instructions("FROM")
    assert base == "python:3.11-slim"
    (user,) = instructions("USER")
    assert user not in {"root", "0"}
    (health,) = instructions("HEALTHCHECK")
    assert "/health" in health


def web_command_of_the_stack() -> list[str]:
    command = stack.procfile_commands(bin_dir="BIN", ports=[8101], beat_schedule="SCHEDULE")["web1"]
    return shlex.split(command.replace("BIN/", "").replace("127.0.0.1", "0.0.0.0"))


def test_the_image_and_compose_start_the_commands_make_stack_starts():
    commands = {name: shlex.split(command.replace("BIN/", ""))
                for name, command in stack.procfile_commands(bin_dir="BIN", ports=[8101],
                                                             beat_schedule="SCHEDULE").items()}
    (cmd,) = instructions("CMD")
    assert yaml.safe_load(cmd) == web_command_of_the_stack()
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert services["web1"]["command"] == services["web2"]["command"] == web_command_of_the_stack()
    assert services["worker"]["command"] == commands["worker"]
    assert services["beat"]["command"][:-1] == commands["beat"][:-1]
    assert {"postgres", "redis", "rabbitmq", "mosquitto", "proxy"} <= set(services)


def test_the_compose_proxy_is_the_stacks_proxy_over_the_two_web_containers():
    assert (ROOT / "deploy" / "compose-haproxy.cfg").read_text() == stack.compose_haproxy_config()
