"""SSH host keys: learn a device's key at discovery, and hold every later session to it.

The known-hosts store (in the agent) is filled on first contact with :func:`fetch_host_key`;
from then on every driver pins the session to the stored key and raises
:class:`~provisioners.contract.HostKeyMismatch` when the device presents another one (the
agent refuses the session and raises an alarm). Keys travel as OpenSSH public-key text,
``"ssh-ed25519 AAAA..."``, without a comment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from provisioners.contract import DriverError, HostKeyMismatch

# Key types a known-hosts entry may hold (paramiko negotiates only these for a pinned key).
KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
)


if TYPE_CHECKING:
    import paramiko

# paramiko is imported where it is used: importing the drivers package stays cheap.


class HostKeyError(ValueError):
    """A host key text that is not ``"<type> <base64>"``."""


def parse_key(text: str) -> tuple[str, str]:
    """``"ssh-ed25519 AAAA... [comment]"`` -> ("ssh-ed25519", "AAAA..."), checked."""
    parts = text.strip().split()
    if len(parts) < 2:
        raise HostKeyError("a host key is '<type> <base64>'")
    kind, b64 = parts[0], parts[1]
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HostKeyError(f"host key of type {kind}: bad base64") from exc
    # The blob starts with its own type name (RFC 4253 §6.6): reject a pasted mix-up.
    if len(blob) < 4:
        raise HostKeyError("host key blob too short")
    n = int.from_bytes(blob[:4], "big")
    inner = blob[4 : 4 + n].decode(errors="replace")
    if inner != kind:
        raise HostKeyError(f"host key says {kind!r} but holds a {inner!r} key")
    return kind, b64


def normalize(text: str) -> str:
    kind, b64 = parse_key(text)
    return f"{kind} {b64}"


def format_key(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()}"


def keys_equal(a: str, b: str) -> bool:
    try:
        return normalize(a) == normalize(b)
    except HostKeyError:
        return False


def fingerprint(text: str) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint (for alarms and logs: short, and what
    ``ssh-keygen -lf`` shows the operator)."""
    _, b64 = parse_key(text)
    digest = hashlib.sha256(base64.b64decode(b64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def to_pkey(text: str) -> paramiko.PKey:
    import paramiko

    kind, b64 = parse_key(text)
    try:
        return paramiko.PKey.from_type_string(kind, base64.b64decode(b64))
    except (paramiko.SSHException, ValueError) as exc:
        raise HostKeyError(f"unsupported host key type {kind!r}") from exc


def fetch_host_key(host: str, port: int = 22, timeout: float = 10.0, key_type: str | None = None) -> str:
    """The host key ``host:port`` presents, as ``"<type> <base64>"``, without authenticating.

    Used at discovery to fill the known-hosts store on first contact (trust on first use), and
    by the drivers to say *which* key a device presented when a pinned session was refused.
    ``key_type`` asks for that type (a device with several host keys offers each on request).
    """
    import paramiko

    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise OSError(f"{host}:{port}: {exc.strerror or exc}") from exc
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        transport.handshake_timeout = timeout
        if key_type:
            transport.get_security_options().key_types = [key_type]
        transport.start_client(timeout=timeout)
        return format_key(transport.get_remote_server_key())
    finally:
        transport.close()
        sock.close()


def check(device: str, expected: str | None, presented: str) -> None:
    """Raise HostKeyMismatch unless ``presented`` is the key on record."""
    if expected is None:
        raise DriverError(device, "connect", "no SSH host key on record: discover the device first")
    if not keys_equal(expected, presented):
        raise HostKeyMismatch(device, normalize_or_raw(expected), normalize_or_raw(presented))


def normalize_or_raw(text: str) -> str:
    try:
        return normalize(text)
    except HostKeyError:
        return text.strip()


def require_key(device: str, expected: str | None) -> str:
    """The key on record, normalized; a session is never opened without one."""
    if not expected:
        raise DriverError(device, "connect", "no SSH host key on record: discover the device first")
    try:
        return normalize(expected)
    except HostKeyError as exc:
        raise DriverError(device, "connect", f"host key on record is unusable: {exc}") from None


def known_hosts_line(host: str, port: int, key: str) -> str:
    """An OpenSSH known_hosts line (``[host]:port`` form for ports other than 22)."""
    name = host if port == 22 else f"[{host}]:{port}"
    return f"{name} {normalize(key)}\n"


@contextmanager
def known_hosts_file(host: str, port: int, key: str) -> Iterator[Path]:
    """A private known_hosts file with exactly one entry, for libraries that only read keys
    from a file (netmiko's ``alt_key_file``); removed on exit."""
    fd, name = tempfile.mkstemp(prefix="ossagent-known-hosts-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(known_hosts_line(host, port, key))
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def explain_refusal(
    device: str, host: str, port: int, expected: str, timeout: float
) -> HostKeyMismatch | None:
    """After a pinned session failed during the SSH handshake: fetch the key the device
    presents now and return the HostKeyMismatch to raise, or None when the key is the one on
    record (so the failure was something else)."""
    import paramiko

    kind = parse_key(expected)[0]
    presented = None
    for want in (kind, None):  # first the pinned type, then whatever the device prefers
        try:
            presented = fetch_host_key(host, port, timeout, key_type=want)
            break
        except (OSError, paramiko.SSHException, EOFError):
            continue
    if presented is None or keys_equal(expected, presented):
        return None
    return HostKeyMismatch(device, normalize(expected), presented)
