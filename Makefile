# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
FLEET_HZ ?= 5

.PHONY: install install-test run test stack lock check-deploy clean

# Sensorium needs Python 3.11 or newer: say so plainly instead of failing somewhere inside pip.
PYTHON_OK := $(shell $(PYTHON) -c 'import sys; print(int(sys.version_info >= (3, 11)))' 2>/dev/null)
ifneq ($(PYTHON_OK),1)
$(error Sensorium needs Python 3.11 or newer, and $(PYTHON) is "$(shell $(PYTHON) --version 2>&1)": run make PYTHON=python3.11 (or newer))
endif

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The runtime lock only (make run, make stack); the test lock is the runtime plus the tests' packages.
$(VENV)/.runtime: requirements/runtime.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements/runtime.txt
	touch $@

$(VENV)/.test: requirements/test.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements/test.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-test: $(VENV)/.test

## make lock: recompile requirements/runtime.txt and requirements/test.txt (with hashes) from pyproject.toml,
## keeping every version already locked unless pyproject.toml asks for another
lock: install-test
	$(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --no-header --quiet \
		-c requirements/runtime.txt -o requirements/runtime.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 --no-header \
		--quiet -c requirements/runtime.txt -c requirements/test.txt -o requirements/test.txt

## make run: embedded mode (SQLite, in-memory channel layer, eager tasks), demo data, Daphne on 127.0.0.1:8000
## and a simulated fleet streaming the demo sensors (FLEET_HZ frames/s each)
run: install
	DEBUG=1 $(PY) manage.py migrate --no-input
	@# With Mosquitto installed: a private broker on a free port (var/mqtt/) and the MQTT bridge,
	@# which live and die with the server, as does the simulated fleet the demo sensors stream from.
	@PIDS=; trap 'kill $$PIDS 2>/dev/null' EXIT INT TERM; \
	if BROKER=$$(DEBUG=1 $(PY) manage.py mosquitto_config --dev --dir var/mqtt); then \
		eval "$$BROKER"; export MQTT_URL; \
		$$MOSQUITTO -c var/mqtt/mosquitto.conf & PIDS="$$PIDS $$!"; sleep 0.5; \
		DEBUG=1 $(PY) manage.py mqtt_bridge --client-id sensorium-bridge-dev & PIDS="$$PIDS $$!"; \
		echo "MQTT broker on $${MQTT_URL##*@} (devices: see README, MQTT)"; \
	else echo "MQTT is off (no Mosquitto 2 here)"; fi; \
	DEBUG=1 $(PY) manage.py seed_demo --tokens-file var/demo-tokens.txt; \
	echo "Sensorium on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/docs)"; \
	DEBUG=1 $(PY) manage.py simulate_fleet --tokens-file var/demo-tokens.txt --hz $(FLEET_HZ) \
		--url ws://$(HOST):$(PORT) & PIDS="$$PIDS $$!"; \
	DEBUG=1 $(VENV)/bin/daphne -b $(HOST) -p $(PORT) project.asgi:application

## make test: the import layers (.importlinter), then the whole suite; with DATABASE_URL/REDIS_URL/CELERY_BROKER_URL
## set it runs against those services.
## Then the client packages (clients/), reinstalled from this checkout, against servers their tests start.
CLIENT_PYTEST_ARGS ?= -q
# The clients' tests import this checkout's sources first, whatever another checkout installed in a shared venv.
CLIENT_SOURCES := $(CURDIR)/clients/python/src:$(CURDIR)/clients/desktop/src
test: install-test
	@bash tests/system-packages.sh
	$(VENV)/bin/lint-imports --config .importlinter
	$(PY) -m pip install --quiet --no-deps ./clients/python ./clients/desktop
	status=0; \
	$(VENV)/bin/pytest $(PYTEST_ARGS) || status=$$?; \
	export PYTHONPATH=$(CLIENT_SOURCES); \
	$(VENV)/bin/pytest -c clients/python/pyproject.toml --rootdir clients/python $(CLIENT_PYTEST_ARGS) clients/python/tests \
		|| status=$$?; \
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -c clients/desktop/pyproject.toml --rootdir clients/desktop \
		$(CLIENT_PYTEST_ARGS) clients/desktop/tests || status=$$?; \
	exit $$status

## make stack: production-like on one machine against the services the environment names (DATABASE_URL,
## REDIS_URL, CELERY_BROKER_URL; .env is read): migrate, then honcho runs STACK_WEB Daphne processes (default 2)
## behind HAProxy on STACK_BIND (default 127.0.0.1:8000), a Celery worker and beat
stack: install
	$(PY) manage.py migrate --no-input
	$(PY) deploy/stack.py

## make check-deploy: Django's deployment checklist with the production settings (needs SECRET_KEY and ALLOWED_HOSTS)
check-deploy: install
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var/test .pytest_cache
