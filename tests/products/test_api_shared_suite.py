"""The shared API suite (tests/api_mixins.py) over the product list and detail endpoints.

Products are a shared inventory, not owned per user: every signed-in user reads them all.
"""

from itertools import count

from products.models import Product
from products.services import product_event_record
from tests.api_mixins import ApiGetTests, ApiListTests

_numbers = count(1)


class TestProductReadApi(ApiListTests, ApiGetTests):
    collection_url = "/api/v1/products"
    model = Product
    owned = False

    def make(self, *, owner):
        recorded = product_event_record(name=f"Drill {next(_numbers)}", location="Shelf A", event_type="added",
                                        source="api", user=owner)
        return recorded.product
