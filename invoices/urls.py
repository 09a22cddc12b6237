from django.urls import path

from . import views

app_name = "invoices"

urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("new/", views.invoice_create, name="create"),
    path("customers/search/", views.customer_search, name="customer_search"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/edit/", views.invoice_edit, name="edit"),
    path("<int:pk>/validate/", views.invoice_validate, name="validate"),
    path("<int:pk>/release/", views.invoice_release, name="release"),
    path("<int:pk>/delete/", views.invoice_delete, name="delete"),
    path("<int:pk>/credit/", views.credit_note_create, name="credit"),
    path("<int:pk>/document.xml", views.invoice_xml, name="xml"),
    path("<int:pk>/document.pdf", views.invoice_pdf, name="pdf"),
]
