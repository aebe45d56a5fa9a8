"""Pluggable SMS sending, in the manner of Django's EMAIL_BACKEND.

``settings.SMS_BACKEND`` names a class with ``send(message)``; ``get_backend``
builds it. Shipped here: ``ConsoleBackend`` (development: prints each message),
``FileBackend`` (one file per run under ``SMS_FILE_PATH``) and
``LocmemBackend`` (tests: ``outbox``). A real gateway is one more class of
the same shape (``send`` raises ``SmsError`` when the gateway refuses); the
code that decides whom to remind never changes.
"""

import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class SmsError(Exception):
    """The gateway did not take the message; the text says why (kept, short)."""


class BaseSmsBackend:
    def __init__(self, **kwargs: Any) -> None:
        self.options = kwargs

    def open(self) -> None:
        """Before the first message of a run (a gateway connection)."""

    def close(self) -> None:
        """After the last message of a run."""

    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    """Prints each message (development)."""

    def __init__(self, stream: IO[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send(self, message: SmsMessage) -> None:
        with self._lock:
            self.stream.write(f"SMS to {message.to}\n{message.body}\n{'-' * 40}\n")
            self.stream.flush()


class FileBackend(BaseSmsBackend):
    """Appends each message to one file per run under ``SMS_FILE_PATH``."""

    def __init__(self, file_path: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.SMS_FILE_PATH)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        self.path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.log"

    def send(self, message: SmsMessage) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(f"To: {message.to}\n{message.body}\n\n")


# What LocmemBackend sent, newest last (tests empty it first).
outbox: list[SmsMessage] = []


class LocmemBackend(BaseSmsBackend):
    """Keeps each message in ``outbox`` (tests). A number in ``fail_numbers``
    (setting ``SMS_LOCMEM_FAIL``) is refused, as a gateway would."""

    def send(self, message: SmsMessage) -> None:
        if message.to in getattr(settings, "SMS_LOCMEM_FAIL", ()):
            raise SmsError("号码无法接收短信")
        outbox.append(message)


def get_backend(path: str | None = None, **kwargs: Any) -> BaseSmsBackend:
    """The backend ``settings.SMS_BACKEND`` (or ``path``) names."""
    backend_class = import_string(path or settings.SMS_BACKEND)
    backend: BaseSmsBackend = backend_class(**kwargs)
    return backend
