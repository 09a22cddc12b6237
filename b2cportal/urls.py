from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from b2cportal.companies import views as company_views
from routing import webhooks as routing_webhooks

urlpatterns = [
    path("", company_views.home, name="home"),
    path("switch/company/", company_views.switch_company, name="switch_company"),
    path("switch/branch/", company_views.switch_branch, name="switch_branch"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/webhooks/", include("b2cportal.webhooks.urls")),
    path("settings/api-keys/", include("api.settings_urls")),
    path("settings/", include("b2cportal.companies.urls")),
    path("customers/", include("b2cportal.customers.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("invoices/import/", include("billing.urls")),
    path("invoices/", include("invoices.urls")),
    path("routing/", include("routing.urls")),
    path(
        "hooks/operator/<str:token>/",
        routing_webhooks.operator_webhook,
        name="operator-webhook",
    ),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("agreements/", include("agreements.urls")),
]

if apps.is_installed("simulator"):
    # The simulated network's pages exist only when it is the configured network.
    urlpatterns.append(path("simulator/", include("simulator.urls")))

# Requests refused before any view answer in the API's JSON format under /api/.
handler400 = "api.errors.bad_request"
