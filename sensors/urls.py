from rest_framework.routers import SimpleRouter

from sensors.api import SensorViewSet

router = SimpleRouter()
# Both /sensors/x and /sensors/x/ (SimpleRouter's trailing_slash argument only takes a bool).
router.trailing_slash = "/?"
router.register("sensors", SensorViewSet, basename="sensor")

urlpatterns = router.urls
