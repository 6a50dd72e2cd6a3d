from rest_framework.routers import SimpleRouter

from alerts.api import AlarmViewSet, ChannelViewSet, DeliveryViewSet, RuleViewSet

router = SimpleRouter(trailing_slash=False)
router.register("alarms/rules", RuleViewSet, basename="alarm-rule")
router.register("alarms/channels", ChannelViewSet, basename="alarm-channel")
router.register("alarms/deliveries", DeliveryViewSet, basename="alarm-delivery")
router.register("alarms", AlarmViewSet, basename="alarm")

urlpatterns = router.urls
