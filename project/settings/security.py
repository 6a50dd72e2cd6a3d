"""HTTPS, cookies, HSTS, framing, and the /metrics token."""

from .core import DEBUG
from .environment import env

# --- HTTPS ---------------------------------------------------------------------------
# SECURE_HTTPS defaults on whenever DEBUG is off: production sits behind TLS.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = SECURE_HTTPS
# Probes and Prometheus may speak plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^status$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS

# --- Headers -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- /metrics ------------------------------------------------------------------------
# Open by default (Prometheus scrapes without credentials); set a token to require
# `Authorization: Bearer <token>`.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
