"""Pure parts of the provisioning drivers: host-key text, transaction names, the CLI payload
and read-back logic, the local edit-config application, rpc-error text. No device needed."""

from __future__ import annotations

import base64

import pytest

from provisioners import hostkeys
from provisioners.contract import DriverError, HostKeyMismatch
from provisioners.diff import cli as clidiff
from provisioners.drivers._common import hms, txn_name
from provisioners.drivers._xmledit import EditError, apply_edit
from provisioners.drivers.cli import expected_config, missing_lines, normalize, payload_lines
from provisioners.drivers.netconf import compensating_edit, rpc_error_text, same_config

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHvhqaDUvBqGDs7yGy2hjqP9kqhF3w9Ylr0yJ6mTzqLk"
OTHER = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEUp+mnUEkMH+L4pKMwUgPcRjEA5yekp2ss4M9kdD+1x"


# ------------------------------------------------------------------ host keys
def test_keys_compare_by_type_and_blob_not_comment() -> None:
    assert hostkeys.keys_equal(KEY + " root@box", "  " + KEY + "\n")
    assert not hostkeys.keys_equal(KEY, OTHER)
    assert not hostkeys.keys_equal(KEY, "garbage")


def test_a_key_whose_blob_names_another_type_is_rejected() -> None:
    with pytest.raises(hostkeys.HostKeyError):
        hostkeys.parse_key("ssh-rsa " + KEY.split()[1])
    with pytest.raises(hostkeys.HostKeyError):
        hostkeys.parse_key("ssh-ed25519 not*base64")


def test_fingerprint_is_openssh_sha256() -> None:
    blob = base64.b64decode(KEY.split()[1])
    import hashlib

    want = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert hostkeys.fingerprint(KEY) == want


def test_known_hosts_line_uses_brackets_for_other_ports() -> None:
    assert hostkeys.known_hosts_line("10.0.0.1", 22, KEY) == f"10.0.0.1 {KEY}\n"
    assert hostkeys.known_hosts_line("10.0.0.1", 830, KEY + " c") == f"[10.0.0.1]:830 {KEY}\n"


def test_known_hosts_file_is_private_and_removed() -> None:
    with hostkeys.known_hosts_file("h", 2222, KEY) as path:
        assert path.read_text() == f"[h]:2222 {KEY}\n"
        assert path.stat().st_mode & 0o077 == 0
    assert not path.exists()


def test_check_refuses_another_key_and_a_missing_one() -> None:
    hostkeys.check("r1", KEY, KEY + " comment")
    with pytest.raises(HostKeyMismatch) as info:
        hostkeys.check("r1", KEY, OTHER)
    assert (info.value.device, info.value.expected, info.value.presented) == ("r1", KEY, OTHER)
    with pytest.raises(DriverError, match="no SSH host key on record"):
        hostkeys.check("r1", None, OTHER)
    with pytest.raises(DriverError, match="no SSH host key on record"):
        hostkeys.require_key("r1", "")


def test_fetch_host_key_from_nothing_listening_raises_oserror() -> None:
    from tests.helpers import free_tcp_port

    with pytest.raises(OSError):
        hostkeys.fetch_host_key("127.0.0.1", free_tcp_port(), timeout=1)


# ------------------------------------------------------------------ transaction names
def test_txn_name_is_stable_safe_and_distinct() -> None:
    a = txn_name("order 7 / txn 42")
    assert a == txn_name("order 7 / txn 42")
    assert a.startswith("ossagent-order-7-txn-42-")
    assert all(c.isalnum() or c in "-_" for c in a)
    assert txn_name("order 7 / txn 43") != a
    assert len(txn_name("x" * 500)) <= 48
    assert txn_name("") != txn_name("")  # no comment: a fresh name each time


def test_hms() -> None:
    assert hms(2) == "00:00:02"
    assert hms(3725) == "01:02:05"
    assert hms(0) == "00:00:01"


# ------------------------------------------------------------------ CLI helpers
FRR_RUNNING = """\
Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname r1
!
interface sp1a
 description old
exit
!
end
"""


def test_normalize_drops_volatile_headers() -> None:
    out = normalize(FRR_RUNNING)
    assert not out.startswith("Building")
    assert "Current configuration" not in out
    assert out.startswith("!\nfrr version 8.4.4")


def test_payload_lines_close_open_blocks_for_ios() -> None:
    lines = payload_lines("! comment\ninterface e1\n description x\nip route 1.0.0.0/8 Null0\n", clidiff.IOS)
    assert lines == ["interface e1", " description x", "exit", "ip route 1.0.0.0/8 Null0"]
    assert payload_lines("interface e1\n description x\n", clidiff.IOS)[-1] == "exit"
    assert payload_lines("interface Ethernet1\n   description x\n", clidiff.EOS) == [
        "interface Ethernet1",
        "   description x",
    ]


def test_expected_config_replaces_single_valued_lines_and_applies_no() -> None:
    lines = payload_lines(
        "interface sp1a\n description new\n ip address 10.0.0.1/24\nip route 1.0.0.0/8 Null0\n", clidiff.IOS
    )
    blocks = expected_config(normalize(FRR_RUNNING), lines, clidiff.IOS)
    assert blocks["interface sp1a"].children == ["description new", "ip address 10.0.0.1/24"]
    assert "ip route 1.0.0.0/8 Null0" in blocks
    gone = expected_config(normalize(FRR_RUNNING), ["interface sp1a", " no description", "exit"], clidiff.IOS)
    assert gone["interface sp1a"].children == []


def test_missing_lines_checks_blocks_top_level_and_negations() -> None:
    running = "interface sp1a\n description new\nexit\n!\nip route 1.0.0.0/8 Null0\n"
    ok = ["interface sp1a", " description new", "exit", "ip route 1.0.0.0/8 Null0"]
    assert missing_lines(running, ok) == []
    assert missing_lines(running, ["interface sp1a", " mtu 9000", "exit"]) == ["interface sp1a / mtu 9000"]
    assert missing_lines(running, ["ip route 2.0.0.0/8 Null0"]) == ["ip route 2.0.0.0/8 Null0"]
    assert missing_lines(running, ["interface sp1a", " no description new", "exit"]) == [
        "interface sp1a / no description new"
    ]
    assert missing_lines(running, ["no ip route 1.0.0.0/8 Null0"]) == ["no ip route 1.0.0.0/8 Null0"]


# ------------------------------------------------------------------ XML: local edit, compensation
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
BASE = (
    f'<interfaces xmlns="{IF}"><interface><name>a</name><description>x</description></interface></interfaces>'
)


def _edit(inner: str) -> str:
    return f'<config xmlns="{NC}" xmlns:nc="{NC}"><interfaces xmlns="{IF}">{inner}</interfaces></config>'


def test_apply_edit_merge_replace_delete_create() -> None:
    merged = apply_edit(BASE, _edit("<interface><name>a</name><description>y</description></interface>"))
    assert same_config(merged, BASE.replace(">x<", ">y<"))
    added = apply_edit(BASE, _edit("<interface><name>b</name><mtu>9000</mtu></interface>"))
    assert "<name>b</name>" in added and "<name>a</name>" in added
    deleted = apply_edit(BASE, _edit('<interface nc:operation="delete"><name>a</name></interface>'))
    assert "<name>a</name>" not in deleted
    replaced = apply_edit(
        BASE, _edit('<interface nc:operation="replace"><name>a</name><mtu>1</mtu></interface>')
    )
    assert "description" not in replaced and "<mtu>1</mtu>" in replaced
    assert "operation" not in replaced
    with pytest.raises(EditError):
        apply_edit(BASE, _edit('<interface nc:operation="create"><name>a</name></interface>'))
    with pytest.raises(EditError):
        apply_edit(BASE, _edit('<interface nc:operation="delete"><name>zz</name></interface>'))
    assert same_config(
        apply_edit(BASE, _edit('<interface nc:operation="remove"><name>zz</name></interface>')), BASE
    )


def test_compensating_edit_removes_containers_the_snapshot_lacks() -> None:
    snapshot = '<nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm"/>'
    running = snapshot + BASE
    edit = compensating_edit(running, snapshot)
    assert edit is not None
    assert 'operation="remove"' in edit and "<interface>" not in edit
    assert same_config(apply_edit(running, edit, "none"), snapshot)
    assert compensating_edit(snapshot, snapshot) is None


def test_rpc_error_text_survives_a_raising_tag() -> None:
    class Weird(Exception):
        @property
        def tag(self) -> str:
            raise AttributeError("ncclient 0.7 multi-error reply")

    assert rpc_error_text(Weird("access denied")) == "access denied"

    class Locked(Exception):
        tag = "lock-denied"
        path = None
        info = f'<error-info xmlns="{NC}"><session-id>7</session-id></error-info>'

    assert rpc_error_text(Locked("lock denied")) == "lock-denied: lock denied (held by session 7)"
