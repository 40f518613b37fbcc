"""The real peers of the netns lab, shared by tests/realpeers and the contract suite.

One lab per test session, whichever suite asks first: ``acquire()`` starts it (or reuses it),
``release()`` stops it when the last user is done. Skips (not failures) when the machine cannot
run it: not root, no ``ip netns``, or the Debian packages missing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from inventory.domain import Secret
from lab.netns import FrrService, NetconfService, NetnsLab, Node, why_unavailable
from provisioners.contract import DeviceAccess

IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IANA_NS = "urn:ietf:params:xml:ns:yang:iana-if-type"


@dataclass(frozen=True)
class Peers:
    lab: NetnsLab
    nc_candidate: Node  # netconfd --target=candidate (:candidate, :confirmed-commit:1.1)
    nc_running: Node  # netconfd --target=running (:writable-running)
    frr: Node  # zebra + staticd, vtysh over SSH

    @property
    def username(self) -> str:
        return self.lab.username

    @property
    def password(self) -> str:
        return self.lab.password


_mutex = threading.Lock()
_peers: Peers | None = None
_users = 0
_failed: str | None = None


def skip_reason() -> str | None:
    return why_unavailable(netconf=True, frr=True)


def acquire() -> Peers:
    global _peers, _users, _failed
    with _mutex:
        if _failed:
            raise RuntimeError(_failed)
        if _peers is None:
            lab = NetnsLab().start()
            try:
                _peers = Peers(
                    lab=lab,
                    nc_candidate=lab.add_node("ncc", netconf=NetconfService(), spare_interfaces=3),
                    nc_running=lab.add_node(
                        "ncr", netconf=NetconfService(target="running"), spare_interfaces=2
                    ),
                    frr=lab.add_node("frr", frr=FrrService(), spare_interfaces=2),
                )
            except BaseException as exc:
                lab.stop(check=False)
                _failed = f"netns lab failed to start: {exc}"
                raise
        _users += 1
        return _peers


def release() -> None:
    global _peers, _users
    with _mutex:
        _users -= 1
        if _users == 0 and _peers is not None:
            lab, _peers = _peers.lab, None
            lab.stop()  # raises LabLeftovers if anything is left behind


def access(
    node: Node,
    peers: Peers,
    *,
    driver: str,
    platform: str,
    host_key: str | None = None,
    password: str | None = None,
    timeout_s: float = 15.0,
) -> DeviceAccess:
    port = node.netconf_port if driver == "netconf" else node.vtysh_port
    assert port is not None
    return DeviceAccess(
        device=node.name,
        host=node.address,
        port=port,
        driver=driver,
        platform=platform,
        username=peers.username,
        password=Secret(peers.password if password is None else password),
        host_key=node.host_key if host_key is None else host_key,
        timeout_s=timeout_s,
    )


def interface_payload(name: str, description: str, operation: str | None = None) -> str:
    """An ietf-interfaces edit for one entry of netconfd's namespace (``type`` is mandatory in
    ietf-interfaces@2014-05-08)."""
    op = f' nc:operation="{operation}"' if operation else ""
    return (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" '
        'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">'
        f'<interfaces xmlns="{IF_NS}"><interface{op}><name>{name}</name>'
        f"<description>{description}</description>"
        f'<type xmlns:ianaift="{IANA_NS}">ianaift:ethernetCsmacd</type>'
        "</interface></interfaces></config>"
    )
