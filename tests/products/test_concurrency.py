"""Two people report the same new product at the same moment: one product, every event kept.

PostgreSQL only: SQLite takes one writer at a time (the settings open every transaction
IMMEDIATE), so the race these tests provoke cannot happen there.
"""

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection, transaction
from rest_framework_simplejwt.tokens import RefreshToken

from products.models import Product, ProductEvent
from products.services import product_event_record

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.DATABASE_IS_POSTGRES,
                       reason="the race needs concurrent writers: set DATABASE_URL to PostgreSQL"),
]


def _in_thread(target):
    """Run target in a thread with its own database connection, keeping its result."""
    outcome = {}

    def run():
        try:
            outcome["result"] = target()
        except Exception as error:  # handed to the test, which asserts on it
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_for_a_session_blocked_on_a_lock(timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second request never waited for the first one's insert")


def test_a_request_that_loses_the_insert_race_records_on_the_winners_product(user):
    first_recorded = threading.Event()
    release_first = threading.Event()

    def first():
        # Creates the product and holds its transaction open, as a slow request would.
        with transaction.atomic():
            recorded = product_event_record(name="Cordless Drill", location="garage",
                                            event_type="added", source="api", user=user)
            first_recorded.set()
            assert release_first.wait(timeout=30)
        return recorded

    def second():
        return product_event_record(name="cordless  DRILL", location="shelf B",
                                    event_type="moved", source="voice", user=user)

    first_thread, first_outcome = _in_thread(first)
    assert first_recorded.wait(timeout=30)
    # The second request cannot see the uncommitted product, so it inserts too and
    # blocks on the unique name until the first commits.
    second_thread, second_outcome = _in_thread(second)
    _wait_for_a_session_blocked_on_a_lock()
    release_first.set()
    first_thread.join(timeout=30)
    second_thread.join(timeout=30)

    assert "error" not in first_outcome and "error" not in second_outcome, (
        first_outcome, second_outcome)
    assert first_outcome["result"].created is True
    assert second_outcome["result"].created is False
    product = Product.objects.get()
    assert (product.name, product.location) == ("Cordless Drill", "shelf B")
    assert list(product.events.order_by("id").values_list("event_type", "location")) == [
        ("added", "garage"), ("moved", "shelf B")]


def test_simultaneous_api_requests_for_one_new_name_create_one_product(live_server, user):
    requests = 8
    token = str(RefreshToken.for_user(user).access_token)
    start = threading.Barrier(requests)

    def post(index: int) -> tuple[int, dict]:
        body = json.dumps({"name": f"Pallet  Jack" if index % 2 else "pallet jack",
                           "location": f"bay {index}", "event_type": "moved"}).encode()
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/products/events", data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        start.wait(timeout=30)
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())

    with ThreadPoolExecutor(max_workers=requests) as pool:
        responses = list(pool.map(post, range(requests)))

    assert [status for status, _ in responses] == [201] * requests
    assert sum(body["created"] for _, body in responses) == 1
    product = Product.objects.get()
    assert {body["product"]["id"] for _, body in responses} == {product.pk}
    events = list(ProductEvent.objects.values_list("event_type", flat=True))
    assert sorted(events) == ["added"] + ["moved"] * requests
