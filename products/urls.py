from django.urls import path

from products import api, views

# Mounted under /api/v1/.
urlpatterns = [
    path("products", api.ProductListApi.as_view(), name="product-list"),
    path("products/events", api.ProductEventCreateApi.as_view(), name="product-event-create"),
    path("products/commands", api.ProductCommandApi.as_view(), name="product-command"),
    path("products/<int:product_id>", api.ProductDetailApi.as_view(), name="product-detail"),
]

# Mounted under /products/ with the namespace "products".
pages = [
    path("", views.product_list_page, name="list"),
    path("new-event/", views.product_event_page, name="new-event"),
    path("<int:product_id>/", views.product_detail_page, name="detail"),
]
