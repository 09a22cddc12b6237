"""Every routing string has a Norwegian and a Swedish translation, compiled and used."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.utils import translation

from routing.decision import Channel

LOCALE = Path(__file__).resolve().parents[2] / "routing" / "locale"


@pytest.mark.parametrize("language", ["nb", "sv"])
def test_catalogue_is_complete(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(po) > 100
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert (LOCALE / language / "LC_MESSAGES" / "django.mo").exists()


def test_translations_are_used():
    with translation.override("sv"):
        assert str(Channel.EMAIL.label) == "E-post"
    with translation.override("nb"):
        assert str(Channel.PRINT.label) == "Utskrift"
