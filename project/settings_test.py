"""Test settings: the production settings with plain HTTP and a fast password hasher.

The suite runs on SQLite by default and on the services when DATABASE_URL, REDIS_URL
and CELERY_BROKER_URL are set, exactly as the application reads them.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "t" * 50)
os.environ.setdefault("SECURE_HTTPS", "0")
# In-process tests write eagerly; tests that start real workers switch the process to the
# broker with the `broker_mode` fixture, and the subprocesses they start use it too.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))
# The suite checks the log file too (production writes one only when LOG_DIR is set).
os.environ.setdefault("LOG_DIR", os.path.join(os.environ["VAR_DIR"], "log"))

from project.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
