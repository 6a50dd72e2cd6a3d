from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import views as core_views
from dashboards.views import SignOutView
from products.urls import pages as product_pages
from users.forms import SignInForm
from users.oidc.urls import pages as oidc_pages
from users.oidc.views import SignInView

api_v1 = [
    path("", include("users.urls")),
    path("", include("users.oidc.urls")),
    path("", include("sensors.urls")),
    path("", include("sensors.collect_urls")),
    path("", include("transports.urls")),
    path("", include("telemetry.urls")),
    path("", include("products.urls")),
    path("", include("alerts.urls")),
]

urlpatterns = [
    path("", include(("dashboards.urls", "dashboards"))),
    path("health", core_views.health, name="health"),
    path("status", core_views.status, name="status"),
    path("metrics", core_views.metrics, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("products/", include((product_pages, "products"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("accounts/login/", SignInView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/oidc/", include((oidc_pages, "oidc"))),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"
