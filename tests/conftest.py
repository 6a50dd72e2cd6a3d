import os

import pytest
from asgiref.sync import SyncToAsync
from django.core.cache import cache
from django.db import connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.browser import CHROMIUM, NO_CHROMIUM
from tests.factories import UserFactory, sensor_make

PASSWORD = "correct-horse-battery"
SERVICES = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL") and os.environ.get("CELERY_BROKER_URL"))

def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("services") and not SERVICES:
            item.add_marker(pytest.mark.skip(
                reason="needs the real services: set DATABASE_URL, REDIS_URL and CELERY_BROKER_URL"))
        if item.get_closest_marker("browser") and CHROMIUM is None:
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.fixture(scope="session", autouse=True)
def _sync_thread_connection_closed(django_db_setup, django_db_blocker):
    yield
    # Async tests' thread-sensitive ORM calls run in asgiref's one sync thread; its connection
    # would stay open and keep the test database from being dropped at the end.
    with django_db_blocker.unblock():
        SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory(username="alice")


@pytest.fixture
def other_user(db):
    return UserFactory(username="bob")


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def jwt_client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def client_for():
    """APIClient signed in with a real JWT for the given user."""
    return jwt_client_for


@pytest.fixture
def alice_client(user):
    return jwt_client_for(user)


@pytest.fixture
def bob_client(other_user):
    return jwt_client_for(other_user)


@pytest.fixture
def device_client():
    def make(token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
        return client

    return make


@pytest.fixture
def make_sensor(db):
    return sensor_make


@pytest.fixture
def broker_mode(settings):
    """Publish tasks to the real broker from this process (for tests with real workers)."""
    from project.celery import app as celery_app

    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs CELERY_BROKER_URL: this test proves behaviour across a real broker")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    yield celery_app
    celery_app.conf.task_always_eager = True
