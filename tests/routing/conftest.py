import pytest

from .worker_harness import (
    Worker,
    broker_url,
    flush_broker,
    require_services,
    restore_eager,
    use_broker,
)


@pytest.fixture(autouse=True)
def _spool(settings, tmp_path):
    settings.PRINT_SPOOL_DIR = tmp_path / "spool"


@pytest.fixture
def real_broker():
    require_services()
    flush_broker()
    use_broker(broker_url())
    yield
    restore_eager()
    flush_broker()


@pytest.fixture
def worker_factory(tmp_path, real_broker):
    """Start real Celery worker subprocesses (stopped after the test): start(**env) -> Worker."""
    started: list[Worker] = []

    def start(**env) -> Worker:
        # Sends never validate (release does): no Peppol rules to compile at each start.
        worker = Worker(tmp_path, **{"EINVOICE_RULES_DIR": "", **env}).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
