from rest_framework.routers import SimpleRouter

from sensors.api import SensorViewSet

# Canonical paths have no trailing slash; core.middleware.ApiTrailingSlashMiddleware
# serves `/sensors/` as well without a redirect that would drop a POST body.
router = SimpleRouter(trailing_slash=False)
router.register("sensors", SensorViewSet, basename="sensor")

urlpatterns = router.urls
