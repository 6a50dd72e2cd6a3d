from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from products.models import Product, ProductEvent, ProductStatus
from products.names import product_name_clean, product_name_normalise

SUGGESTIONS_MAX = 500


def product_list(*, search: str = "", location: str = "", status: str = "") -> QuerySet[Product]:
    """Products whose name contains `search` (case and spacing ignored), optionally at one
    location (case ignored) or in one status."""
    products = Product.objects.all()
    if search.strip():
        products = products.filter(name_normalised__contains=product_name_normalise(search))
    if location.strip():
        products = products.filter(location__iexact=product_name_clean(location))
    if status:
        products = products.filter(status=status)
    return products


def product_get(*, product_id: int) -> Product:
    """The product with its history (`product.events.all()`, newest first), or Http404."""
    events = ProductEvent.objects.select_related("created_by")
    return get_object_or_404(
        Product.objects.prefetch_related(Prefetch("events", queryset=events)), pk=product_id)


def product_find(*, name: str) -> Product | None:
    return Product.objects.filter(name_normalised=product_name_normalise(name)).first()


def product_similar_list(*, name: str, limit: int = 5) -> list[Product]:
    """Products in the inventory whose name has every word of `name`: for "drill",
    "Cordless Drill" — what a person probably meant when a sentence names a new product."""
    words = product_name_normalise(name).split()
    if not words:
        return []
    products = Product.objects.exclude(status=ProductStatus.REMOVED)
    for word in words:
        products = products.filter(name_normalised__contains=word)
    return list(products.exclude(name_normalised=" ".join(words))[:limit])


def product_name_suggestions() -> list[str]:
    return list(Product.objects.values_list("name", flat=True)[:SUGGESTIONS_MAX])


def product_location_list() -> list[str]:
    """Every place a product is now, for filters and suggestions."""
    locations = (Product.objects.exclude(location="").order_by("location")
                 .values_list("location", flat=True).distinct())
    return list(locations[:SUGGESTIONS_MAX])
