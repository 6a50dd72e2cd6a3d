from rest_framework.routers import SimpleRouter

from sensors.api import SensorViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("sensors", SensorViewSet, basename="sensor")

urlpatterns = router.urls
