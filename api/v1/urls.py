from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .batches import InvoiceBatchViewSet, InvoiceImportView
from .customers import CustomerViewSet
from .me import MeView

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("invoice-batches", InvoiceBatchViewSet, basename="invoice-batch")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("invoices/import/", InvoiceImportView.as_view(), name="invoice-import"),
    path("", include(router.urls)),
]
