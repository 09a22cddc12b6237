from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .agreements import AgreementViewSet
from .customers import CustomerViewSet
from .invoices import InvoiceViewSet
from .me import MeView
from .reports import BillingReportView

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("agreements", AgreementViewSet, basename="agreement")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("billing-report/", BillingReportView.as_view(), name="billing-report"),
    path("", include(router.urls)),
]
