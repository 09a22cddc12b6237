import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b2cportal.settings")
application = get_wsgi_application()

# Compile the UBL schemas and the CEN + Peppol rules at web start, not in the first request
# that validates or releases an invoice (compiling takes seconds, running milliseconds).
from invoices.validation import warm_up  # noqa: E402

warm_up()
