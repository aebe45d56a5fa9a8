"""Encryption of data at rest (biometrics): seal and open with the data keys.

A sealed value is ASCII text ``<key id>:<Fernet token>``. The key id (8 hex
digits of the key's SHA-256) names the key that sealed it, so keys can rotate:
``settings.LIFECERT_DATA_KEYS`` lists them newest first, values are sealed with
the newest and opened with whichever one sealed them, and ``rotate_data_key``
re-seals the rest. Fernet authenticates as well as encrypts: a wrong key or an
altered value fails, it never opens to garbage.

Only the seams that need the plaintext call ``open_*`` (the enrolment and
reference seam, the review of kept frames); nothing else holds a copy.
"""

import functools
import hashlib
import json
import re
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

# What a sealed value looks like; ``gAAAAA`` is Fernet's version byte and the
# high bytes of its timestamp, which every token of this century starts with.
SEALED = re.compile(r"^[0-9a-f]{8}:gAAAAA[A-Za-z0-9_=-]+$")


class VaultError(Exception):
    """A value that cannot be opened: unknown key, wrong key or altered data."""


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:8]


@functools.lru_cache(maxsize=4)
def _keyring(keys: tuple[str, ...]) -> tuple[str, dict[str, Fernet]]:
    if not keys:
        raise VaultError("No data key configured (LIFECERT_DATA_KEYS).")
    ring: dict[str, Fernet] = {}
    for key in keys:
        try:
            ring[key_id(key)] = Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise VaultError(
                f"LIFECERT_DATA_KEYS holds a value that is not a Fernet key"
                f" (key id {key_id(key)})."
            ) from exc
    return key_id(keys[0]), ring


def _ring() -> tuple[str, dict[str, Fernet]]:
    return _keyring(tuple(settings.LIFECERT_DATA_KEYS))


def current_key_id() -> str:
    return _ring()[0]


def is_sealed(value: object) -> bool:
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("ascii", errors="replace")
    return isinstance(value, str) and SEALED.match(value) is not None


def sealed_key_id(sealed: str | bytes | memoryview) -> str:
    return _text(sealed).split(":", 1)[0]


def seal(data: bytes) -> str:
    """``data`` encrypted under the newest key."""
    kid, ring = _ring()
    return f"{kid}:{ring[kid].encrypt(data).decode('ascii')}"


def open_bytes(sealed: str | bytes | memoryview) -> bytes:
    """The plaintext of a sealed value, or :class:`VaultError` saying why not."""
    text = _text(sealed)
    if not SEALED.match(text):
        raise VaultError("Not a sealed value (stored in the clear or damaged).")
    kid, token = text.split(":", 1)
    fernet = _ring()[1].get(kid)
    if fernet is None:
        raise VaultError(
            f"Sealed under key {kid}, which is not in LIFECERT_DATA_KEYS"
            " (an old key removed too early, or the wrong key file)."
        )
    try:
        return fernet.decrypt(token.encode("ascii"))
    except InvalidToken:
        raise VaultError(
            f"Sealed value does not open under key {kid}: altered data"
            " or a different key with the same id."
        ) from None


def seal_json(value: Any) -> str:
    return seal(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def open_json(sealed: str | bytes | memoryview) -> Any:
    return json.loads(open_bytes(sealed))


def reseal(sealed: str | bytes | memoryview) -> str | None:
    """The value sealed under the newest key, or None if it already is."""
    if sealed_key_id(sealed) == current_key_id():
        return None
    return seal(open_bytes(sealed))


def _text(sealed: str | bytes | memoryview) -> str:
    if isinstance(sealed, str):
        return sealed
    return bytes(sealed).decode("ascii", errors="replace")
