"""`make stack`: a production-like Sensorium on one machine, run by honcho (a real process manager).

N Daphne processes behind HAProxy on one port, a Celery worker consuming every declared
queue but the gateway's `ble`, and beat, against the services the environment names
(DATABASE_URL, REDIS_URL, CELERY_BROKER_URL). Writes `var/stack/Procfile` and
`var/stack/haproxy.cfg`, empties the shared Prometheus directory (one scrape of /metrics
sums every process), then hands over to honcho, which restarts nothing but stops
everything when one process dies: run it under systemd (deploy/systemd/) for that.

Standard library only: it runs before anything else is imported.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB_BASE_PORT = 8101


def web_ports(*, count: int, base: int = WEB_BASE_PORT) -> list[int]:
    return [base + index for index in range(count)]


def procfile_commands(*, bin_dir: str, ports: list[int], beat_schedule: str) -> dict[str, str]:
    """The process types of the stack; the Dockerfile and systemd units start the same commands."""
    commands = {f"web{index + 1}": f"{bin_dir}/daphne -b 127.0.0.1 -p {port} --proxy-headers project.asgi:application"
                for index, port in enumerate(ports)}
    commands["worker"] = f"{bin_dir}/celery -A project worker -l info -P threads -c 4"
    commands["beat"] = f"{bin_dir}/celery -A project beat -l info -s {beat_schedule}"
    return commands


def haproxy_config(*, bind: str, servers: list[str]) -> str:
    """HTTP and WebSocket (HTTP/1.1 upgrade, then a tunnel) over the Daphne processes at
    `servers` ("host:port" each)."""
    lines = "\n".join(f"    server web{index + 1} {address} check inter 2s fall 2 rise 1"
                      for index, address in enumerate(servers))
    return f"""\
global
    log stdout format raw local0 info
    # Two file descriptors per proxied connection: 8,000 fits a hard limit of 20,000.
    maxconn 8000

defaults
    mode http
    log global
    option httplog
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    # A device or viewer socket stays open for hours once upgraded.
    timeout tunnel 1h
    timeout client-fin 5s

frontend sensorium
    bind {bind}
    http-request set-header X-Forwarded-Proto http unless {{ ssl_fc }}
    default_backend daphne

backend daphne
    balance leastconn
    option httpchk GET /health
    http-check expect status 200
    http-response set-header X-Sensorium-Backend %s
    # A server name that does not resolve yet (a container still starting) is no error.
    default-server init-addr last,libc,none
{lines}
"""


COMPOSE_HAPROXY = ROOT / "deploy" / "compose-haproxy.cfg"


def compose_haproxy_config() -> str:
    """compose.yaml's proxy: the same configuration over its two web containers."""
    return haproxy_config(bind="0.0.0.0:8000", servers=["web1:8101", "web2:8101"])


def procfile_text(commands: dict[str, str]) -> str:
    return "".join(f"{name}: {command}\n" for name, command in commands.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--web", type=int, default=int(os.environ.get("STACK_WEB", "2")),
                        help="Daphne processes (default 2, or STACK_WEB)")
    parser.add_argument("--bind", default=os.environ.get("STACK_BIND", "127.0.0.1:8000"),
                        help="address:port the proxy listens on (default 127.0.0.1:8000, or STACK_BIND)")
    parser.add_argument("--out", default=str(ROOT / "var" / "stack"), help="where the generated files go")
    parser.add_argument("--write-only", action="store_true", help="write the files, do not start honcho")
    args = parser.parse_args(argv)
    if args.web < 1:
        parser.error("--web must be at least 1")
    for program in ("haproxy",):
        if shutil.which(program) is None:
            print(f"make stack needs {program}: apt-get install {program}", file=sys.stderr)
            return 2

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    metrics_dir = out / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir()
    ports = web_ports(count=args.web)
    commands = procfile_commands(bin_dir=str(Path(sys.executable).parent), ports=ports,
                                 beat_schedule=str(out / "celerybeat-schedule"))
    commands["proxy"] = f"haproxy -db -f {out / 'haproxy.cfg'}"
    (out / "haproxy.cfg").write_text(haproxy_config(bind=args.bind, servers=[f"127.0.0.1:{port}" for port in ports]))
    (out / "Procfile").write_text(procfile_text(commands))
    print(f"Sensorium stack: {args.web} Daphne behind http://{args.bind}/, worker, beat ({out}/Procfile)")
    if args.write_only:
        return 0
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "PYTHONUNBUFFERED": "1"}
    honcho = str(Path(sys.executable).parent / "honcho")
    os.execve(honcho, [honcho, "start", "-f", str(out / "Procfile"), "-d", str(ROOT), "--no-colour"], env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
