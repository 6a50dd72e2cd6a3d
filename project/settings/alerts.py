"""Alarms and their notifications: deliveries (email, webhooks) and the rule index.

The `alerts` queue and the silence check's beat entry are in cache_and_queues.py.
"""

from .environment import env

# --- Deliveries ----------------------------------------------------------------------
# A failed email or webhook is retried, backing off from ALERTS_DELIVERY_BACKOFF_S (doubling,
# at most 10 minutes), and kept as a dead letter after ALERTS_DELIVERY_MAX_ATTEMPTS attempts.
ALERTS_DELIVERY_MAX_ATTEMPTS = env.int("ALERTS_DELIVERY_MAX_ATTEMPTS", default=5)
ALERTS_DELIVERY_BACKOFF_S = env.float("ALERTS_DELIVERY_BACKOFF_S", default=10.0)
ALERTS_WEBHOOK_TIMEOUT_S = env.float("ALERTS_WEBHOOK_TIMEOUT_S", default=5.0)

# --- Evaluation ----------------------------------------------------------------------
# Each process keeps the rules of the sensors it evaluates; an edit anywhere invalidates them at once.
ALERTS_RULE_CACHE_S = env.float("ALERTS_RULE_CACHE_S", default=60.0)
# Silence rules ("no message for N seconds") are checked this often (and when a device disconnects).
ALERTS_SILENCE_CHECK_INTERVAL_S = env.float("ALERTS_SILENCE_CHECK_INTERVAL_S", default=15.0)

# --- Email ---------------------------------------------------------------------------
# Through SMTP when EMAIL_HOST is set; otherwise messages are written to the log (console).
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="sensorium@localhost")
EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                 else "django.core.mail.backends.console.EmailBackend")
