"""Publishing Celery tasks without letting a broker outage reach the user.

Every outward publish goes through `publish_on_commit` (or `publish` outside a transaction).
The database is the source of truth for every queued piece of work (the delivery outbox, the
agreement requests, the terms emails), and each has a periodic sweeper that queues again what
never reached the broker. So a publish that fails is logged and dropped, never raised:

- the connection attempt is short (settings: `CELERY_BROKER_TRANSPORT_OPTIONS`,
  `CELERY_BROKER_CONNECTION_TIMEOUT`) and never retried here (`retry=False`);
- after one failure this process stops trying for `BROKER_DOWN_PAUSE` seconds, so a request
  that queues two hundred chunks pays for one failed connection attempt, not two hundred.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import transaction

logger = logging.getLogger("b2cportal.queueing")

# After a failed publish, skip publishing in this process for this long (the sweepers catch up).
BROKER_DOWN_PAUSE = 5.0

_lock = threading.Lock()
_down_until = 0.0


def broker_recently_down() -> bool:
    """True while this process is skipping publishes after a broker failure."""
    return time.monotonic() < _down_until


def publish(task, *args, countdown: float | None = None) -> bool:
    """Queue `task(*args)` now; False (logged, not raised) when the broker is unavailable."""
    global _down_until
    if task.app.conf.task_always_eager:
        # Tests and local runs without a broker: run now and let errors show.
        task.apply_async(args, countdown=countdown)
        return True
    if broker_recently_down():
        logger.warning("Broker unavailable; %s%r left for its sweeper", task.name, args)
        return False
    try:
        task.apply_async(args, countdown=countdown, retry=False)
    except Exception:  # kombu/redis raise many types; all mean "not queued"
        with _lock:
            _down_until = time.monotonic() + BROKER_DOWN_PAUSE
        logger.warning(
            "Broker unavailable; %s%r left for its sweeper", task.name, args, exc_info=True
        )
        return False
    return True


def publish_on_commit(task, *args, countdown: float | None = None) -> None:
    """Queue `task(*args)` once the current transaction commits (at once without one)."""
    transaction.on_commit(lambda: publish(task, *args, countdown=countdown))
