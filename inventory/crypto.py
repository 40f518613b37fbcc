"""Encryption of secrets at rest with a key kept outside the database.

The key is a Fernet key in a file (``$OSSAGENT_HOME/secret.key`` by default, mode 0600). The
store's ``EncryptedSecret`` column type asks this module for the active key, which the entry
points install once at start-up with ``use_key_file``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from inventory.domain import Secret

_lock = threading.Lock()
_fernet: Fernet | None = None
_key_path: Path | None = None


class KeyError_(RuntimeError):
    """No key is installed, or the key does not decrypt what is stored."""


def ensure_key_file(path: Path) -> Path:
    """Create a new random key at ``path`` if none exists; never overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        key = Fernet.generate_key()
        # O_EXCL so that two processes starting at once cannot both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
    return path


def use_key_file(path: Path) -> None:
    global _fernet, _key_path
    ensure_key_file(path)
    key = path.read_bytes().strip()
    with _lock:
        _fernet = Fernet(key)
        _key_path = path


def use_key(key: bytes) -> None:
    """Install a key directly (tests, or a key from a secret manager)."""
    global _fernet, _key_path
    with _lock:
        _fernet = Fernet(key)
        _key_path = None


def _active() -> Fernet:
    if _fernet is None:
        raise KeyError_("no encryption key installed: call inventory.crypto.use_key_file() first")
    return _fernet


def encrypt(secret: Secret) -> str:
    return _active().encrypt(secret.reveal().encode()).decode("ascii")


def decrypt(token: str) -> Secret:
    try:
        return Secret(_active().decrypt(token.encode("ascii")).decode())
    except InvalidToken as exc:
        where = f" ({_key_path})" if _key_path else ""
        raise KeyError_(f"stored secret does not decrypt with the installed key{where}") from exc
