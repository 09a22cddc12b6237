from django.urls import path

from . import delivery_views

app_name = "simulator_deliveries"

urlpatterns = [
    path("", delivery_views.index, name="index"),
    path("<int:pk>/document/", delivery_views.document, name="document"),
    path("print-spool/", delivery_views.print_spool, name="print_spool"),
    path("print-spool/<uuid:document>.pdf", delivery_views.print_spool_pdf, name="print_spool_pdf"),
]
