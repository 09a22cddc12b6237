import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b2cportal.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Compile the e-invoice validation rules now, in the web process (runserver and every
    gunicorn worker import this module after forking), so the first *Validate* does not wait
    seconds for it. In a thread: the server answers at once; a Validate arriving meanwhile
    waits on the same lock instead of compiling twice.

    The URLconf first: loading it imports every view module (about 0.4 s under load), which the
    first request of each process would otherwise wait for."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the import is the point
    from invoices.validation import warm_up

    warm_up()


threading.Thread(target=_warm_up, name="validation-warm-up", daemon=True).start()
