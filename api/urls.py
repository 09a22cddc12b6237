from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .errors import not_found

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file (no inline script: CSP-friendly);
    # Swagger UI's assets come from drf-spectacular-sidecar's static files, not a CDN.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("v1/", include("api.v1.urls")),
    # Anything else under the API answers in the API's JSON error format, not an HTML page.
    re_path(r"^v1/", not_found),
]
