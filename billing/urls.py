from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.import_invoices, name="import"),
    path("<int:pk>/", views.batch_detail, name="detail"),
    path("<int:pk>/status/", views.batch_status, name="status"),
    path("<int:pk>/errors.csv", views.batch_errors_csv, name="errors_csv"),
]
