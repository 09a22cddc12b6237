from django.urls import path

from . import consumer_views

app_name = "simulator_consumers"

urlpatterns = [
    path("", consumer_views.index, name="index"),
    path("bank/<str:token>/", consumer_views.bank, name="bank"),
    path("onboarding/<str:fui>/", consumer_views.onboarding, name="onboarding"),
    path("efaktura/", consumer_views.efaktura_directory, name="efaktura"),
    path("ocr-payment/", consumer_views.ocr_payment, name="ocr_payment"),
]
