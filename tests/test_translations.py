"""Every user-facing string exists in Norwegian Bokmål and Swedish, compiled and current.

(a) no nb/sv catalog entry is empty or fuzzy; (b) each compiled .mo holds exactly what its .po
says; (c) `makemessages` over a copy of the repository finds no msgid that is missing from the
committed catalogs (a string marked for translation but never extracted fails here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("nb", "sv")
SKIP_DIRS = {".git", ".venv", "venv", "var", "staticfiles", "node_modules", "__pycache__"}


def _catalogs() -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        if "django.po" in filenames and Path(dirpath).parent.parent.name == "locale":
            found.append(Path(dirpath) / "django.po")
    return sorted(found)


CATALOGS = _catalogs()
NB_SV = [p for p in CATALOGS if p.parent.parent.name in LANGUAGES]


def _key(entry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def _value(entry):
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
    return entry.msgstr


def test_the_catalogs_exist():
    locale_dirs = {p.parent.parent.parent for p in NB_SV}
    assert ROOT / "locale" in locale_dirs
    for app in ("companies", "customers", "network"):
        assert ROOT / "b2cportal" / app / "locale" in locale_dirs
    for locale_dir in locale_dirs:
        for language in LANGUAGES:
            assert (locale_dir / language / "LC_MESSAGES" / "django.po").exists(), locale_dir


@pytest.mark.parametrize("path", NB_SV, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_empty_or_fuzzy_entries(path):
    catalog = polib.pofile(str(path))
    problems = []
    for entry in catalog:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        values = _value(entry)
        if not values or (isinstance(values, tuple) and not all(values)):
            problems.append(f"untranslated: {entry.msgid!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NB_SV, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalog_matches_the_source(path):
    mo_path = path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run msgfmt"
    po = {_key(e): _value(e) for e in polib.pofile(str(path)) if e.translated()}
    mo = {_key(e): _value(e) for e in polib.mofile(str(mo_path)) if e.msgid}
    stale = {k for k in po.keys() | mo.keys() if po.get(k) != mo.get(k)}
    assert not stale, f"{mo_path} is out of date for: {sorted(stale)[:10]}"


def _copy_ignore(directory, names):
    ignored = {n for n in names if n in SKIP_DIRS or n.endswith((".pyc", ".sqlite3"))}
    if Path(directory) == ROOT:
        # Tests and benchmarks are not user-facing; static holds vendored JS/CSS only.
        ignored |= {"tests", "bench", "static", ".ci"} & set(names)
    return ignored


def test_makemessages_finds_nothing_new(tmp_path):
    """Extract afresh into a copy and compare with every committed catalog.

    A msgid counts as present if any committed catalog has it: runtime lookups merge all
    catalogs, and shared modules outside the apps (b2cportal/identifiers/) keep theirs in an
    app's catalog.
    """
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=_copy_ignore)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "b2cportal.settings",
        "DJANGO_READ_ENV_FILE": "0",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "nb", "--no-obsolete"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    committed: set[tuple[str, str]] = set()
    for path in NB_SV:
        committed |= {_key(e) for e in polib.pofile(str(path)) if e.translated()}
    missing = []
    for fresh in copy.rglob("locale/nb/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(fresh)):
            if entry.msgid and _key(entry) not in committed:
                where = ", ".join(f"{f}:{line}" for f, line in entry.occurrences[:2])
                missing.append(f"{entry.msgid!r} ({where})")
    assert not missing, "Strings not in any catalog (run makemessages):\n" + "\n".join(missing)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "Kunder"), ("sv", "Kunder"), ("en", "Customers")],
)
def test_runtime_lookup_uses_the_catalogs(language, expected):
    with translation.override(language):
        assert translation.gettext("Customers") == expected
    with translation.override("sv"):
        assert translation.gettext("Log in") == "Logga in"
    with translation.override("nb"):
        assert translation.gettext("Log in") == "Logg inn"
