"""National identity numbers never reach the logs.

Every log line goes through `MaskingFormatter`, which masks digit runs shaped like a national
ID (Norwegian 11 digits; Swedish 10 or 12 digits, with or without the `-`/`+` separator) the
way the lists do, whatever logged them: our messages, exception texts, third-party libraries.
Organisation numbers of 10 digits are masked too: a log loses nothing important by it.
"""

from __future__ import annotations

import logging
import re

NATIONAL_ID_SHAPE = re.compile(r"(?<!\d)(?:\d{11}|(?:\d{2})?\d{6}[-+]?\d{4})(?!\d)")


def mask_national_ids(text: str) -> str:
    def _mask(match: re.Match) -> str:
        digits = match.group(0)
        return digits[: len(digits) - 5] + "*" * 5 if len(digits) == 11 else digits[:-4] + "****"

    return NATIONAL_ID_SHAPE.sub(_mask, text)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_national_ids(super().format(record))
