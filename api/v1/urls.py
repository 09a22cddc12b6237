from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .agreements import AgreementViewSet
from .batches import InvoiceBatchViewSet, InvoiceImportView
from .customers import CustomerViewSet
from .invoices import InvoiceViewSet
from .me import MeView
from .reports import BillingReportView

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("invoice-batches", InvoiceBatchViewSet, basename="invoice-batch")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("billing-report/", BillingReportView.as_view(), name="billing-report"),
    path("invoices/import/", InvoiceImportView.as_view(), name="invoice-import"),
    path("", include(router.urls)),
]
