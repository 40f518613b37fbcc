"""ONE contract suite over every registered provisioning driver and every peer it can drive.

Peers:
- real daemons in network namespaces (lab.netns): yuma123 netconfd in candidate mode and in
  writable-running mode (driver "netconf"), FRRouting vtysh over SSH (driver "cli", IOS
  dialect). Skipped with the reason when not root / no ``ip netns`` / packages missing.
- the simulated devices' configuration faces (lab.sim): NETCONF (srlinux, XRd), CLI (EOS with
  config sessions, XRd in the IOS dialect) and eAPI (driver "napalm", eos). Picked up
  automatically once ``lab.sim`` NodeState exposes ``faces``/``netconf_port``/``ssh_port``/
  ``eapi_port``/``host_key``; skipped with the reason until then.

Every test opens its own sessions and leaves running as it found it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any

import pytest

import provisioners.drivers  # noqa: F401  (registers the drivers)
from inventory.domain import Secret
from provisioners.contract import (
    DRIVERS,
    DeviceAccess,
    Driver,
    DriverError,
    HostKeyMismatch,
    NativeChange,
    open_driver,
)
from provisioners.diff import cli as clidiff
from provisioners.drivers.netconf import compensating_edit, same_config
from tests.provisioners import simpeers
from tests.realpeers import peers as peerlib

CONFIRM_TIMEOUT_S = 2
# A key nobody uses: what a device swapped for another box (or a man in the middle) presents
# from the point of view of the store.
OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHvhqaDUvBqGDs7yGy2hjqP9kqhF3w9Ylr0yJ6mTzqLk"


@dataclass(frozen=True)
class Case:
    id: str
    access: DeviceAccess
    change: NativeChange  # a change the device accepts
    marker: str  # text that shows in get_config() once ``change`` is applied
    refused: NativeChange  # a change the device refuses
    refused_words: str | None  # a regex for the device's own refusal text, when known
    has_host_key: bool = True  # False: the transport is not SSH (eAPI over HTTP)
    running: Callable[[], str] = str  # reads running from a separate, long-lived session

    def same(self, a: str, b: str) -> bool:
        if self.change.format == "netconf":
            return same_config(a, b)
        return a == b


# ------------------------------------------------------------------ netns peers
NETNS_CASES = ("netconf:netconfd-candidate", "netconf:netconfd-running", "cli:frr-vtysh")


def _netns_case(case_id: str, p: peerlib.Peers) -> Case:
    if case_id == "cli:frr-vtysh":
        node = p.frr
        payload = "interface sp1a\n description contract-test\n ip address 10.77.0.1/24\nexit\nip route 198.51.100.0/24 Null0\n"
        return Case(
            id=case_id,
            access=peerlib.access(node, p, driver="cli", platform="frr"),
            change=NativeChange(node.name, "cli", payload, "contract txn"),
            marker="contract-test",
            refused=NativeChange(node.name, "cli", "interface sp1a\n frobnicate everything\n", "refused txn"),
            refused_words=r"Unknown command",
        )
    node = p.nc_candidate if case_id.endswith("candidate") else p.nc_running
    return Case(
        id=case_id,
        access=peerlib.access(node, p, driver="netconf", platform="yuma123"),
        change=NativeChange(
            node.name, "netconf", peerlib.interface_payload("sp1a", "contract-test"), "contract txn"
        ),
        marker="contract-test",
        # netconfd knows no <frobnicate> in ietf-interfaces: an rpc-error with its own words.
        refused=NativeChange(
            node.name,
            "netconf",
            peerlib.interface_payload("sp1a", "x").replace(
                "<description>x</description>", "<frobnicate>1</frobnicate>"
            ),
            "refused txn",
        ),
        refused_words="unknown",
    )


# ------------------------------------------------------------------ simulated faces
SIM_CASES = (
    "netconf:sim-srlinux",
    "netconf:sim-xrd",
    "cli:sim-eos",
    "cli:sim-xrd-ios",
    "napalm:sim-eos-eapi",
    "napalm:sim-eos-ssh",
)


def _sim_case(case_id: str, state: Any) -> Case:
    driver, _, peer = case_id.partition(":")
    node_name = {"sim-srlinux": "srl1", "sim-xrd": "xrd1", "sim-xrd-ios": "xrd1"}.get(peer, "ceos1")
    node = state.node(node_name)
    face = {"netconf": "netconf", "cli": "cli"}.get(driver, "cli" if peer.endswith("ssh") else "eapi")
    if face not in tuple(node.faces):
        pytest.skip(f"simulated {node_name} has no {face} face (faces: {', '.join(node.faces)})")
    user, pw = simpeers.credentials(node)
    port_name = simpeers.front_port(node)
    if port_name is None:
        pytest.skip(f"simulated {node_name}: no front-panel interface to configure")
    options: dict[str, str] = {}
    if driver == "netconf":
        port, platform = int(node.netconf_port), str(node.platform)
        change = NativeChange(
            node_name, "netconf", _sim_netconf_payload(port_name, "contract-test"), "contract txn"
        )
        refused = NativeChange(
            node_name,
            "netconf",
            _sim_netconf_payload(port_name, "x").replace(
                "<description>x</description>", "<frobnicate>1</frobnicate>"
            ),
            "refused txn",
        )
        words = None
    else:
        eos = peer.startswith("sim-eos")
        indent = "   " if eos else " "
        payload = f"interface {port_name}\n{indent}description contract-test\n"
        change = NativeChange(node_name, "cli", payload, "contract txn")
        refused = NativeChange(
            node_name, "cli", f"interface {port_name}\n{indent}frobnicate everything\n", "refused txn"
        )
        # Real IOS/EOS say "% Invalid input"; FRR-like CLIs "% Unknown command"; eAPI "invalid command".
        words = r"Invalid input|Unknown command|invalid command"
        platform = str(getattr(node, "cli_dialect", "") or ("eos" if eos else "ios"))
        port = int(node.ssh_port)
        if driver == "napalm":
            transport = "ssh" if peer.endswith("ssh") else str(getattr(node, "eapi_transport", "") or "http")
            options = {"napalm_driver": "eos", "transport": transport}
            port = int(node.ssh_port) if transport == "ssh" else int(node.eapi_port)
    ssh = driver != "napalm" or options.get("transport") == "ssh"
    access = DeviceAccess(
        device=node_name,
        host=str(node.address),
        port=port,
        driver=driver,
        platform=platform,
        username=user,
        password=Secret(pw),
        host_key=str(node.host_key or "") or None,
        options=options,
        timeout_s=15.0,
    )
    return Case(
        id=case_id,
        access=access,
        change=change,
        marker="contract-test",
        refused=refused,
        refused_words=words,
        has_host_key=ssh,
    )


def _sim_netconf_payload(port_name: str, description: str) -> str:
    return (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        f'<interfaces xmlns="{peerlib.IF_NS}"><interface><name>{port_name}</name>'
        f"<description>{description}</description></interface></interfaces></config>"
    )


# ------------------------------------------------------------------ the parametrized case
ALL_CASES = [pytest.param(c, id=c, marks=pytest.mark.netns) for c in NETNS_CASES] + [
    pytest.param(c, id=c) for c in SIM_CASES
]


@pytest.fixture(scope="module")
def observers() -> Iterator[dict[str, Driver]]:
    """One extra session per peer that only reads running: checks need no new session each
    (an SSH login costs 0.1-0.5 s, and the suite makes hundreds of checks)."""
    cache: dict[str, Driver] = {}
    try:
        yield cache
    finally:
        for d in cache.values():
            d.close()


@pytest.fixture(params=ALL_CASES)
def case(request: pytest.FixtureRequest, observers: dict[str, Driver]) -> Iterator[Case]:
    cid: str = request.param
    if cid in NETNS_CASES:
        c = _netns_case(cid, request.getfixturevalue("netns_peers"))
    else:
        c = _sim_case(cid, request.getfixturevalue("sim_lab"))
    if cid not in observers:
        observers[cid] = open_driver(c.access)
    watch = observers[cid]
    c = replace(c, running=watch.get_config)
    pre = c.running()
    try:
        yield c
    finally:
        if not c.same(c.running(), pre):
            _restore(c, pre)


@contextmanager
def opened(access: DeviceAccess) -> Iterator[Driver]:
    d = open_driver(access)
    try:
        yield d
    finally:
        d.close()


def _restore(c: Case, pre: str) -> None:
    """Put back what a failed test left behind (best effort; a passing test leaves nothing)."""
    with opened(c.access) as d:
        now = d.get_config()
        if c.change.format == "netconf":
            payload = compensating_edit(now, pre)
        else:
            dialect = (
                clidiff.EOS if c.access.platform == "eos" or c.access.driver == "napalm" else clidiff.IOS
            )
            payload = "\n".join(clidiff.commands(dialect, now, pre))
        if not payload:
            return
        with suppress(DriverError):
            d.prepare(NativeChange(c.access.device, c.change.format, payload, "contract restore"))
            d.commit(60, "contract restore")
            d.confirm()


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ------------------------------------------------------------------ the contract
def test_every_registered_driver_has_a_peer_in_this_suite() -> None:
    covered = {c.split(":")[0] for c in (*NETNS_CASES, *SIM_CASES)}
    assert set(DRIVERS) <= covered, f"drivers without a contract peer: {set(DRIVERS) - covered}"


def test_get_config(case: Case) -> None:
    with opened(case.access) as d:
        cfg = d.get_config()
        assert cfg.strip()
        assert d.get_config() == cfg  # stable: no volatile lines
        assert case.same(cfg, case.running())
        if case.has_host_key:
            assert d.host_key() == case.access.host_key


def test_prepare_then_discard_leaves_running_unchanged(case: Case) -> None:
    pre = case.running()
    with opened(case.access) as d:
        diff = d.prepare(case.change)
        assert case.marker in diff, diff
        assert case.same(case.running(), pre)  # a dry run touches nothing running
        d.discard()
        assert case.same(d.get_config(), pre)
    assert case.same(case.running(), pre)


def test_commit_and_confirm_keep_the_change(case: Case) -> None:
    with opened(case.access) as d:
        d.prepare(case.change)
        d.commit(CONFIRM_TIMEOUT_S, case.change.comment)
        d.confirm()
        confirmed_commit = d.supports_confirmed_commit
    if confirmed_commit:
        time.sleep(CONFIRM_TIMEOUT_S + 1)  # the revert timer would have fired by now
    assert case.marker in case.running()


def test_commit_then_rollback_restores_running_exactly(case: Case) -> None:
    pre = case.running()
    with opened(case.access) as d:
        d.prepare(case.change)
        d.commit(60, case.change.comment)
        assert case.marker in case.running()
        d.rollback()
        assert case.same(d.get_config(), pre)
    assert case.same(case.running(), pre)


def test_rollback_after_confirm_restores_running_exactly(case: Case) -> None:
    pre = case.running()
    with opened(case.access) as d:
        d.prepare(case.change)
        d.commit(60, case.change.comment)
        d.confirm()
        assert case.marker in case.running()
        d.rollback()
    assert case.same(case.running(), pre)


def test_unconfirmed_commit_reverts_by_itself(case: Case) -> None:
    pre = case.running()
    with opened(case.access) as d:
        if not d.supports_confirmed_commit:
            mode = " (writable-running, no :candidate)" if getattr(d, "candidate", None) is False else ""
            pytest.skip(
                f"{case.access.driver} on {case.access.platform}{mode}: the platform has no confirmed commit"
            )
        d.prepare(case.change)
        d.commit(CONFIRM_TIMEOUT_S, case.change.comment)
        assert case.marker in case.running()
        # close without confirm: what a crashing agent does; the device's timer must revert
    time.sleep(CONFIRM_TIMEOUT_S)
    try:
        # Poll with pauses: yuma123 netconfd runs its confirm timer only once it has been idle
        # for about a second, so back-to-back requests would hold the revert off.
        wait_until(
            lambda: case.same(case.running(), pre), 15, "the unconfirmed commit to revert", interval=1.2
        )
    except AssertionError:
        raise AssertionError(f"not reverted:\n--- pre\n{pre}\n--- now\n{case.running()}") from None


def test_refused_change_raises_driver_error_with_the_device_words(case: Case) -> None:
    pre = case.running()
    with opened(case.access) as d:
        with pytest.raises(DriverError) as info:
            d.prepare(case.refused)
            d.commit(60, case.refused.comment)
        err = info.value
        assert not isinstance(err, HostKeyMismatch)
        assert err.device == case.access.device
        assert str(err).startswith(f"{case.access.device}: {err.phase}: ")
        assert err.phase in ("prepare", "commit")
        assert err.message.strip()
        if case.refused_words:
            assert re.search(case.refused_words, err.message, re.I), err.message
        d.rollback()
    assert case.same(case.running(), pre)


def test_wrong_host_key_is_refused(case: Case) -> None:
    if not case.has_host_key:
        pytest.skip("eAPI over HTTP(S) is not SSH: no host key to pin")
    bad = replace(case.access, host_key=OTHER_KEY)
    with pytest.raises(HostKeyMismatch) as info:
        open_driver(bad)
    assert info.value.device == case.access.device
    assert info.value.expected == OTHER_KEY
    assert info.value.presented == case.access.host_key


def test_missing_host_key_is_refused(case: Case) -> None:
    if not case.has_host_key:
        pytest.skip("eAPI over HTTP(S) is not SSH: no host key to pin")
    with pytest.raises(DriverError, match="no SSH host key on record"):
        open_driver(replace(case.access, host_key=None))


def test_bad_credentials_raise_driver_error(case: Case) -> None:
    wrong = "not-the-password-3141"
    with pytest.raises(DriverError) as info:
        open_driver(replace(case.access, password=Secret(wrong)))
    assert not isinstance(info.value, HostKeyMismatch)
    assert info.value.phase == "connect"
    assert wrong not in str(info.value)
    real = case.access.password.reveal()
    if real not in (case.access.username, case.access.device):  # the sim's admin/admin
        assert real not in str(info.value)
