from django.urls import path

from . import views

app_name = "routing"

urlpatterns = [
    path("invoices/<int:pk>/send/", views.send, name="send"),
    path("invoices/<int:pk>/poll/", views.poll, name="poll"),
    path("invoices/<int:pk>/reroute/", views.reroute, name="reroute"),
    path("send/", views.bulk, name="bulk"),
    path("send/<int:pk>/", views.bulk_detail, name="bulk_detail"),
    path("send/<int:pk>/status/", views.bulk_status, name="bulk_status"),
    path("billing/", views.billing, name="billing"),
]
