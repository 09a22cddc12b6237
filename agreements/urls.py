from django.urls import path

from . import views

app_name = "agreements"

urlpatterns = [
    path("", views.agreement_list, name="list"),
    path("export.csv", views.agreement_export, name="export"),
    path("inbound/", views.inbound, name="inbound"),
    path("customer/<int:pk>/", views.customer_agreements, name="customer"),
    path("customer/<int:pk>/request/", views.request_agreements, name="request"),
    path("customer/<int:pk>/check/", views.check_now, name="check"),
    path("<int:pk>/resend/", views.resend, name="resend"),
    path("<int:pk>/delete/", views.mark_deleted, name="delete"),
]
