"""Per-node SSH host keys (ed25519), kept in ``<state dir>/hostkeys/`` so that ``lab down`` +
``lab up`` presents the same keys, and an OpenSSH ``known_hosts`` file for clients that verify
them (ncclient through an ``ssh_config`` with ``UserKnownHostsFile``, netmiko through
``alt_key_file``)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import asyncssh

KEY_DIR = "hostkeys"
KNOWN_HOSTS = "known_hosts"
SSH_CONFIG = "ssh_config"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def key_path(state_dir: Path, node: str) -> Path:
    return state_dir / KEY_DIR / f"{_safe(node)}.ed25519"


def _write_key(path: Path, key: asyncssh.SSHKey) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.export_private_key())
    os.replace(tmp, path)


def ensure_host_keys(state_dir: Path, nodes: Iterable[str]) -> None:
    """Generate the keys nodes do not have yet (an existing key is never replaced)."""
    for node in nodes:
        path = key_path(state_dir, node)
        if not path.exists():
            _write_key(path, asyncssh.generate_private_key("ssh-ed25519", comment=node))


def load_host_key(state_dir: Path, node: str) -> asyncssh.SSHKey:
    return asyncssh.read_private_key(str(key_path(state_dir, node)))


def rotate_host_key(state_dir: Path, node: str) -> asyncssh.SSHKey:
    key = asyncssh.generate_private_key("ssh-ed25519", comment=node)
    _write_key(key_path(state_dir, node), key)
    return key


def public_text(key: asyncssh.SSHKey) -> str:
    """``ssh-ed25519 AAAA...`` (no comment), the form known_hosts and ``hostkey_b64`` use."""
    parts = key.export_public_key("openssh").decode().split()
    return f"{parts[0]} {parts[1]}"


def public_key_of(state_dir: Path, node: str) -> str:
    path = key_path(state_dir, node)
    return public_text(load_host_key(state_dir, node)) if path.exists() else ""


def known_hosts_lines(entries: Iterable[tuple[str, Iterable[int], str]]) -> list[str]:
    """``(address, ports, "ssh-ed25519 AAAA...")`` -> known_hosts lines, ``[addr]:port`` for
    ports other than 22 (OpenSSH's and paramiko's lookup form)."""
    out = []
    for address, ports, key in entries:
        if not key:
            continue
        for port in sorted(set(ports)):
            if port:
                out.append(f"{address if port == 22 else f'[{address}]:{port}'} {key}")
    return out


def write_known_hosts(state_dir: Path, lines: list[str]) -> Path:
    """``known_hosts`` plus an ``ssh_config`` pointing at it (for ncclient's ``ssh_config=``)."""
    path = state_dir / KNOWN_HOSTS
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(line + "\n" for line in lines))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    cfg = state_dir / SSH_CONFIG
    cfg.write_text(f"Host *\n    UserKnownHostsFile {path}\n    StrictHostKeyChecking yes\n")
    return path
