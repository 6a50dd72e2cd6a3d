"""Files: static files (WhiteNoise) and S3 (archived blink records, exports, rotated logs)."""

from .environment import BASE_DIR, VAR_DIR, env

# --- Static files --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders too, so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True

# --- S3: archival and exports --------------------------------------------------------
# Empty S3_ENDPOINT_URL means AWS; a bucket left empty turns that archival off (/status says so).
S3_ENDPOINT_URL = env.str("S3_ENDPOINT_URL", default="")
S3_REGION = env.str("S3_REGION", default="us-east-1")
S3_ACCESS_KEY_ID = env.str("S3_ACCESS_KEY_ID", default="")
S3_SECRET_ACCESS_KEY = env.str("S3_SECRET_ACCESS_KEY", default="")
S3_BUCKET_DATA = env.str("S3_BUCKET_DATA", default="")
S3_BUCKET_LOGS = env.str("S3_BUCKET_LOGS", default="")
S3_TIMEOUT_S = env.float("S3_TIMEOUT_S", default=5.0)
S3_PRESIGN_EXPIRES_S = env.int("S3_PRESIGN_EXPIRES_S", default=3600)
# An upload that finds S3 unreachable is retried this many times, backing off from
# S3_RETRY_BACKOFF_S (doubling, at most 10 minutes); then its job fails with the reason.
S3_MAX_RETRIES = env.int("S3_MAX_RETRIES", default=5)
S3_RETRY_BACKOFF_S = env.float("S3_RETRY_BACKOFF_S", default=10.0)
