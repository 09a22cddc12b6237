"""The simulator's pages, mounted under /simulator/ only when the simulator is installed."""

from django.urls import include, path

from . import consumer_views, delivery_views, views

activation_patterns = [
    path("activations/", views.activations, name="activations"),
    path("activations/<uuid:reference>/complete/", views.complete_now, name="activation_complete"),
    path("register/", views.set_register_name, name="register_name"),
]

consumer_patterns = [
    path("", consumer_views.index, name="index"),
    path("bank/<str:token>/", consumer_views.bank, name="bank"),
    path("onboarding/<str:fui>/", consumer_views.onboarding, name="onboarding"),
    path("efaktura/", consumer_views.efaktura_directory, name="efaktura"),
    path("ocr-payment/", consumer_views.ocr_payment, name="ocr_payment"),
]

delivery_patterns = [
    path("", delivery_views.index, name="index"),
    path("<int:pk>/document/", delivery_views.document, name="document"),
    path("print-spool/", delivery_views.print_spool, name="print_spool"),
    path("print-spool/<uuid:document>.pdf", delivery_views.print_spool_pdf, name="print_spool_pdf"),
]

urlpatterns = [
    path("", include((activation_patterns, "simulator"))),
    path("consumers/", include((consumer_patterns, "simulator_consumers"))),
    path("deliveries/", include((delivery_patterns, "simulator_deliveries"))),
]
