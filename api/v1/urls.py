from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .customers import CustomerViewSet
from .me import MeView

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("", include(router.urls)),
]
