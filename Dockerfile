# Sensorium's image: the runtime lock only, a non-root user, a health check on /health.
# Not built on the development machines (they have no container daemon or image registry);
# tests/deploy/test_container.py checks that it installs the same lock as `make run` and
# starts the commands `make stack` starts.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/opt/sensorium/var \
    PROMETHEUS_MULTIPROC_DIR=/run/sensorium/metrics

RUN useradd --system --uid 10001 --home-dir /opt/sensorium --create-home sensorium
WORKDIR /opt/sensorium

COPY requirements/runtime.txt requirements/runtime.txt
RUN python -m venv .venv \
    && .venv/bin/pip install --require-hashes --no-deps -r requirements/runtime.txt

COPY --chown=sensorium:sensorium . .
RUN mkdir -p var /run/sensorium/metrics && chown -R sensorium:sensorium var /run/sensorium

USER sensorium
ENV PATH=/opt/sensorium/.venv/bin:$PATH
EXPOSE 8101

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8101/health', timeout=2).status != 200)"]

# The web process; compose.yaml runs the worker and beat from the same image with their commands.
CMD ["daphne", "-b", "0.0.0.0", "-p", "8101", "--proxy-headers", "project.asgi:application"]
