"""Identifiers: plain 8-character base62 ids and prefixed 22-character ones (``prod_...``)."""

from __future__ import annotations

import re
import secrets
import string

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase

PLAIN_LENGTH = 8
PREFIXED_LENGTH = 22

# Objects whose ids are plain (customers, subscriptions, subscription versions).
PLAIN = "plain"

_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


# Random bytes to base62 characters in C (``bytes.translate``): the 248 byte values below
# 4 x 62 each stand for one character (b % 62, so every character four times), the 8 above are
# dropped, so every character is equally likely and each byte is independent.
_TO_BASE62 = bytes(ord(ALPHABET[b % 62]) if b < 248 else 0 for b in range(256))
_DROPPED = bytes(range(248, 256))


def random_base62(length: int) -> str:
    """``length`` uniformly random base62 characters (ids are made on hot paths: one per
    invoice line, event and webhook attempt)."""
    chars = b""
    while len(chars) < length:  # 1 byte in 32 is dropped: rarely more than one round
        chars += secrets.token_bytes(length + 4).translate(_TO_BASE62, _DROPPED)
    return chars[:length].decode()


def new_id(prefix: str = PLAIN) -> str:
    """A fresh id: ``new_id()`` → ``wcqYrqfE``, ``new_id("prod")`` → ``prod_032wMej8...``."""
    if prefix == PLAIN:
        return random_base62(PLAIN_LENGTH)
    return f"{prefix}_{random_base62(PREFIXED_LENGTH)}"


def client_id_problem(value: str, prefix: str = PLAIN) -> str | None:
    """Why a client-chosen id (imports, migrations) is unacceptable, or None when it is fine."""
    body = value
    if prefix != PLAIN:
        if not value.startswith(prefix + "_"):
            return f"must start with '{prefix}_'"
        body = value[len(prefix) + 1 :]
    if not _CLIENT_ID.match(body):
        return "must be 1-64 letters, digits, '_' or '-', starting with a letter or digit"
    return None
