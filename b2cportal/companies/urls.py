from django.urls import path

from . import views

app_name = "companies"

urlpatterns = [
    path("", views.autoinvoice_settings, name="autoinvoice"),
    path("b2cno/activate/", views.b2cno_activate, name="b2cno_activate"),
    path("b2cno/resend/", views.b2cno_resend, name="b2cno_resend"),
    path("b2cno/deactivate/", views.b2cno_deactivate, name="b2cno_deactivate"),
    path("activation/refresh/", views.refresh_activation, name="refresh_activation"),
    path("activation/status/", views.activation_status, name="activation_status"),
    path("b2cse/", views.b2cse, name="b2cse"),
    path("b2cse/accounts/", views.b2cse_add_account, name="b2cse_add_account"),
    path("operator/", views.operator_connection, name="operator"),
    path("operator/test/", views.operator_connection_test, name="operator_test"),
    path("ledger/", views.ledger_preferences, name="ledger"),
    path("company/documents/", views.company_settings, name="company_documents"),
    path("branches/", views.branch_list, name="branches"),
    path("company/", views.company_details, name="company"),
    path("branches/<int:pk>/altinn/", views.branch_altinn, name="branch_altinn"),
    path("terms/<str:token>/", views.accept_terms, name="terms"),
]
