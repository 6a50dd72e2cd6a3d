"""MQTT transport: devices speak to a real Mosquitto 2 broker; Sensorium provisions their
credentials in its dynamic-security plugin and a bridge process (`manage.py mqtt_bridge`)
hands their telemetry to the one ingest function. Topics and payloads: README, *MQTT*."""
