"""bench/bulk_send.py keeps its mail and print spool files out of the repository."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import environ
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bench(monkeypatch):
    # The module refuses to load without PostgreSQL/Redis URLs; nothing here connects to them.
    monkeypatch.setenv("DATABASE_URL", os.environ.get("DATABASE_URL", "postgres://x@127.0.0.1/x"))
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        monkeypatch.setenv("DATABASE_URL", "postgres://x@127.0.0.1/x")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/6")
    monkeypatch.setattr("sys.argv", ["bulk_send.py"])
    spec = importlib.util.spec_from_file_location("bench_bulk_send", ROOT / "bench/bulk_send.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scratch_folder_is_in_the_temp_dir_and_removed_even_on_error(bench, monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "consolemail://")
    monkeypatch.delenv("PRINT_SPOOL_DIR", raising=False)
    seen = {}

    def crash_inside():
        with bench.scratch_dir() as folder:
            seen["folder"] = folder
            _fill(folder)
            raise RuntimeError("a worker died")

    with bench.scratch_dir() as folder:
        assert folder.parent == Path(tempfile.gettempdir())
        assert ROOT not in folder.parents
        assert os.environ["PRINT_SPOOL_DIR"] == str(folder)
        # What the workers' settings make of it: the absolute mail folder inside the scratch.
        email = environ.Env.email_url_config(os.environ["EMAIL_URL"])
        assert email["EMAIL_FILE_PATH"] == str(folder / "mail")
        _fill(folder)
    assert not folder.exists()
    with pytest.raises(RuntimeError):
        crash_inside()
    assert not seen["folder"].exists()
    assert os.environ["EMAIL_URL"] == "consolemail://"
    assert "PRINT_SPOOL_DIR" not in os.environ


def _fill(folder: Path) -> None:
    (folder / "mail").mkdir()
    (folder / "mail" / "1.log").write_text("mail")
    (folder / "2026-03-02").mkdir()
    (folder / "2026-03-02" / "manifest.csv").write_text("x.pdf,1\n")
