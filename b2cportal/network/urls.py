from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path("activations/", views.activations, name="activations"),
    path("activations/<uuid:reference>/complete/", views.complete_now, name="activation_complete"),
    path("register/", views.set_register_name, name="register_name"),
]
