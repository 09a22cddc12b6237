"""Pluggable SMS backends for agreement requests (setting `SMS_BACKEND`, a dotted path).

- `agreements.sms.NetworkSmsBackend` (default): the network adapter sends it (the simulated
  network keeps it on record and shows it on its pages);
- `agreements.sms.ConsoleSmsBackend`: prints to stdout (development);
- `agreements.sms.FileSmsBackend`: appends to a file in `SMS_FILE_PATH` (development).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from b2cportal.network.adapter import get_network
from b2cportal.network.types import MessageChannel


class SmsBackend:
    def send(self, *, recipient: str, text: str, link: str, purpose: str) -> str:
        """Send one SMS; return a reference for the record."""
        raise NotImplementedError


class NetworkSmsBackend(SmsBackend):
    def send(self, *, recipient: str, text: str, link: str, purpose: str) -> str:
        return get_network().send_consumer_message(
            channel=MessageChannel.SMS, recipient=recipient, text=text, link=link, purpose=purpose
        )


class ConsoleSmsBackend(SmsBackend):
    def send(self, *, recipient: str, text: str, link: str, purpose: str) -> str:
        reference = f"console-{uuid.uuid4()}"
        sys.stdout.write(f"SMS to {recipient} ({purpose}, {reference}):\n{text}\n")
        sys.stdout.flush()
        return reference


class FileSmsBackend(SmsBackend):
    def send(self, *, recipient: str, text: str, link: str, purpose: str) -> str:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        reference = f"file-{uuid.uuid4()}"
        with (folder / f"{timezone.now():%Y-%m-%d}.log").open("a", encoding="utf-8") as fh:
            fh.write(f"--- {timezone.now().isoformat()} {reference} to {recipient} ({purpose})\n")
            fh.write(text + "\n")
        return reference


def get_sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
