"""The ``netns`` lab engine: a containerlab topology on real daemons in network namespaces.

``up()`` starts a detached *keeper* process (``python -m lab.engine_netns keep``) that builds
the lab with :class:`lab.netns.NetnsLab` and then waits for SIGTERM. The keeper is the lab's
owner in the crash registry (``/run/ossagent-netns``): the lab outlives the CLI that started
it, ``lab down`` stops it through the keeper, and a keeper killed with SIGKILL leaves a lab
that the next ``NetnsLab.start()`` anywhere on the machine reaps. The keeper publishes the same
``state.json`` / ``lab.pid`` pair as the sim engine (so ``lab inspect``, ``inventory import``
and ``lab.engine.hosts`` work unchanged) and ``netns.json`` with what only this engine has
(namespaces, interface-name mapping, what runs on each node).

Per node: namespace ``<prefix>-<node>``, ``mgmt0`` veth to the host, FRR (zebra, staticd,
ospfd and/or bgpd), Net-SNMP snmpd (AgentX master for FRR's MIBs), yuma123 netconfd behind
sshd on 830 and sshd into vtysh on 22, all in the node's own UTS namespace. Per topology link
one veth pair with the file's interface names (mapped when Linux cannot use them).

Faults (``fault()``) run in the calling process, straight on the kernel objects; their state
is in ``faults.json`` so ``lab fault clear`` can undo them.

Files in the lab's state directory: ``state.json``, ``lab.pid`` (as the sim engine),
``netns.json``, ``netns-config.json`` (0600), ``faults.json``, ``keeper.log``,
``startup-error.txt``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from lab.netns import (
    FrrService,
    LldpService,
    NetconfService,
    NetnsLab,
    SnmpService,
    reap_stale,
    why_unavailable,
)
from lab.netns import netem as nfq
from lab.netns.configs import netconf_startup_with_ports
from lab.netns.lab import ns_listening
from lab.netns.system import LabCommandError, netns_pids, run, wait_until
from lab.procs import alive, pid_alive, python_env, read_pid, start_time, write_pid
from lab.sim.state import (
    PROFILE_V2C,
    IfState,
    LabState,
    NodeState,
    topology_from_dict,
    topology_to_dict,
    write_private,
)
from lab.topology import Node as TopoNode
from lab.topology import Topology

ENGINE = "netns"
STATE_FILE = "state.json"  # the sim engine's names: lab.sim.read_state() reads both engines
PID_FILE = "lab.pid"
CONFIG_FILE = "netns-config.json"
EXTRA_FILE = "netns.json"
FAULTS_FILE = "faults.json"
LOG_FILE = "keeper.log"
ERROR_FILE = "startup-error.txt"
KNOWN_HOSTS = "known_hosts"

SNMP_PORT = 161
SSH_PORT = 22
NETCONF_PORT = 830
IFNAMSIZ = 15  # Linux interface names: at most 15 bytes
RESERVED_IFNAMES = {"lo", "mgmt0"}  # the lab's own interfaces in every node

# containerlab kinds the engine can stand in for (FRR + snmpd + netconfd + sshd), and what the
# node really runs, for `lab inspect`. `linux` (containerlab's generic container, typically an
# FRR image) is an FRR router in its own right; every other kind is a stand-in.
STAND_IN_KINDS = (
    "nokia_srlinux",
    "nokia_sros",
    "arista_ceos",
    "arista_veos",
    "cisco_xrd",
    "cisco_xrv9k",
    "cisco_csr1000v",
    "cisco_n9kv",
    "cisco_iol",
    "juniper_crpd",
    "juniper_vmx",
    "juniper_vsrx",
    "sonic-vs",
    "vyosnetworks_vyos",
)
SUPPORTED_KINDS = ("linux", *STAND_IN_KINDS)
# Kinds whose real NOS the agent changes over NETCONF (as on the sim engine): their stand-ins
# are changed through netconfd (ietf-interfaces/ietf-ip); the others through vtysh over SSH.
# A node label ``ossagent-config-face: netconf|cli`` overrides.
NETCONF_KINDS = ("nokia_srlinux", "nokia_sros", "cisco_xrd", "cisco_xrv9k", "juniper_crpd", "juniper_vmx",
                 "juniper_vsrx")  # fmt: skip
NETCONF_PLATFORM = "ietf"  # what netconfd's models are called in provisioners.services.render


def _v3_user(profiles: Mapping[str, Mapping[str, str]], name: str) -> tuple[tuple[str, str], ...]:
    p = profiles.get(name, {})
    if p.get("version") != "v3":
        return ()
    return tuple((k, str(p[k])) for k in ("user", "auth_proto", "auth_key", "priv_proto", "priv_key"))


def config_face(node: TopoNode) -> str:
    face = node.label("ossagent-config-face") or ("netconf" if node.kind in NETCONF_KINDS else "cli")
    if face not in ("netconf", "cli"):
        raise NetnsEngineError(f"{node.name}: ossagent-config-face must be netconf or cli, not {face!r}")
    return face


class NetnsEngineError(RuntimeError):
    """The netns lab cannot do what was asked; the message says why."""


def runs_as(kind: str) -> str:
    if kind == "linux":
        return "FRR router (FRR, snmpd, netconfd, sshd)"
    return f"stand-in for {kind}: FRR, snmpd, netconfd, sshd"


def check_kinds(topology: Topology) -> None:
    bad = sorted({f"{n.name} ({n.kind})" for n in topology.nodes.values() if n.kind not in SUPPORTED_KINDS})
    if bad:
        raise NetnsEngineError(
            f"the netns engine has no stand-in for node kind(s) {', '.join(bad)}; "
            f"it runs: {', '.join(SUPPORTED_KINDS)}"
        )
    for n in topology.nodes.values():
        config_face(n)  # a bad ossagent-config-face label fails here, before anything starts


# ------------------------------------------------------------------ interface names
def valid_ifname(name: str) -> bool:
    """What the kernel accepts (dev_valid_name): 1-15 bytes, not '.'/'..', no '/', ':' or
    whitespace; and not one of the lab's own names."""
    return (
        0 < len(name.encode()) <= IFNAMSIZ
        and name not in (".", "..")
        and not re.search(r"[/:\s]", name)
        and name not in RESERVED_IFNAMES
    )


_SRL = re.compile(r"ethernet-(\d+)/(\d+)(?:/(\d+))?$")
_EOS = re.compile(r"[Ee]thernet(\d+)(?:/(\d+))?(?:/(\d+))?$")


def linux_ifname(name: str, kind: str, taken: AbstractSet[str] = frozenset()) -> str:
    """The Linux name for topology interface ``name`` of a node of ``kind``: the name itself
    when Linux can use it, else containerlab's own raw name for the kind (SR Linux
    ``ethernet-1/1`` -> ``e1-1``, cEOS ``Ethernet1/1`` -> ``eth1_1``), else the name with the
    forbidden characters replaced, cut to 10 characters plus 4 hex digits of its hash.
    Deterministic, so the same file always gives the same names."""
    if valid_ifname(name) and name not in taken:
        return name
    cand = ""
    m = _SRL.match(name)
    if m and kind == "nokia_srlinux":
        cand = "e" + "-".join(g for g in m.groups() if g)
    m2 = _EOS.match(name)
    if not cand and m2 and kind in ("arista_ceos", "arista_veos"):
        cand = "eth" + "_".join(g for g in m2.groups() if g)
    clean = re.sub(r"[/:\s]", "-", name)
    if not cand or not valid_ifname(cand) or cand in taken:
        cand = clean
    if not valid_ifname(cand) or cand in taken:
        digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:4]
        cand = f"{clean[:10]}-{digest}"
    if not valid_ifname(cand) or cand in taken:
        raise NetnsEngineError(f"cannot find a Linux interface name for {name!r}")
    return cand


def plan_interfaces(topology: Topology) -> dict[str, dict[str, str]]:
    """node -> {topology interface name: Linux name} for every link endpoint on a lab node."""
    out: dict[str, dict[str, str]] = {n: {} for n in topology.nodes}
    for link in topology.links:
        for ep in link.endpoints():
            if ep.is_pseudo:
                continue
            kind = topology.nodes[ep.node].kind
            out[ep.node][ep.interface] = linux_ifname(ep.interface, kind, set(out[ep.node].values()))
    return out


# ------------------------------------------------------------------ node plans
@dataclass(frozen=True)
class Routing:
    ospf: bool
    bgp: bool
    asn: int | None


def routing_of(node: TopoNode, index: int) -> Routing:
    """Label ``ossagent-routing``: ``ospf`` (default), ``bgp``, ``ospf,bgp`` or ``none``; label
    ``ossagent-asn`` sets the BGP AS (default 65001 + the node's position in the file)."""
    words = {w.strip().lower() for w in node.label("ossagent-routing", "ospf").split(",") if w.strip()}
    unknown = words - {"ospf", "bgp", "none"}
    if unknown:
        raise NetnsEngineError(
            f"node {node.name}: ossagent-routing {sorted(unknown)} (use ospf, bgp or none)"
        )
    bgp = "bgp" in words
    asn_label = node.label("ossagent-asn")
    try:
        asn = int(asn_label) if asn_label else (65001 + index if bgp else None)
    except ValueError:
        raise NetnsEngineError(f"node {node.name}: ossagent-asn {asn_label!r} is not a number") from None
    return Routing(ospf="ospf" in words, bgp=bgp or bool(asn_label), asn=asn if (bgp or asn_label) else None)


def engine_id_for(lab: str, node: str) -> str:
    """A fixed SNMP engineID (net-snmp enterprise 8072, text format) per lab node."""
    text = f"{lab}/{node}".encode()[:27]
    return "80001f8804" + text.hex()


def trap_ports(receivers: Sequence[tuple[str, int]]) -> list[int]:
    """The netns nodes send traps to the host side of their own management veth: a namespace
    cannot reach the host's 127.0.0.1. So receivers must listen on the wildcard address (the
    agent's default ``trap_host`` 0.0.0.0) and are named here by loopback or wildcard host."""
    ports = []
    for host, port in receivers:
        try:
            ip = ipaddress.ip_address(host or "0.0.0.0")
        except ValueError:
            raise NetnsEngineError(f"trap receiver {host!r}: not an IP address") from None
        if not (ip.is_loopback or ip.is_unspecified):
            raise NetnsEngineError(
                f"trap receiver {host}:{port}: the netns lab sends traps only to this host "
                "(give 127.0.0.1:PORT or 0.0.0.0:PORT; the receiver must listen on 0.0.0.0)"
            )
        if not 0 < int(port) < 65536:
            raise NetnsEngineError(f"trap receiver port {port} out of range")
        ports.append(int(port))
    return sorted(set(ports))


# ------------------------------------------------------------------ starting (CLI side)
def keeper_alive(state_dir: Path) -> int | None:
    return alive(state_dir / PID_FILE)


def up(
    topology: Topology,
    state_dir: Path,
    *,
    trap_receivers: Sequence[tuple[str, int]] = (),
    profiles: Mapping[str, Mapping[str, str]],
    timeout: float | None = None,
) -> LabState:
    """Start the lab in a detached keeper and return its state once every node answers."""
    why = why_unavailable(netconf=True, frr=True, snmp=True)
    if why:
        raise NetnsEngineError(f"the netns engine cannot run here: {why}")
    check_kinds(topology)
    plan_interfaces(topology)  # refuse unmappable names before anything starts
    ports = trap_ports(trap_receivers)
    for i, node in enumerate(topology.nodes.values()):
        routing_of(node, i)
        prof = node.label("ossagent-snmp-profile", PROFILE_V2C) or PROFILE_V2C
        if prof not in profiles:
            raise NetnsEngineError(f"node {node.name}: unknown ossagent-snmp-profile {prof!r}")
    if len(topology.nodes) > 32:
        raise NetnsEngineError("the netns engine runs at most 32 nodes per lab")
    state_dir.mkdir(parents=True, exist_ok=True)
    if keeper_alive(state_dir) is not None:
        raise NetnsEngineError(f"a lab is already running in {state_dir}")
    for name in (STATE_FILE, PID_FILE, ERROR_FILE, EXTRA_FILE, FAULTS_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / name).unlink()
    cfg = {
        "topology": topology_to_dict(topology),
        "trap_receivers": [list(r) for r in trap_receivers],
        "trap_ports": ports,
        "profiles": {k: dict(v) for k, v in profiles.items()},
    }
    write_private(state_dir / CONFIG_FILE, json.dumps(cfg))
    with open(state_dir / LOG_FILE, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lab.engine_netns", "keep", "--state-dir", str(state_dir)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=python_env(),
            start_new_session=True,  # Ctrl-C in the caller's terminal does not reach the lab
            close_fds=True,
        )
    deadline = time.monotonic() + (timeout or 60.0 + 10.0 * len(topology.nodes))
    try:
        while True:
            if proc.poll() is not None:
                raise NetnsEngineError(_startup_error(state_dir, proc.returncode))
            st = read_state(state_dir)
            if st is not None and st.pid == proc.pid:
                return st
            if time.monotonic() > deadline:
                raise NetnsEngineError(f"the netns lab did not come up in time (see {state_dir / LOG_FILE})")
            time.sleep(0.1)
    except BaseException:
        if proc.poll() is None:
            proc.terminate()  # the keeper tears down what it built
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reap_stale()
        raise


def _startup_error(state_dir: Path, code: int | None) -> str:
    try:
        msg = (state_dir / ERROR_FILE).read_text().strip()
        if msg:
            return msg
    except FileNotFoundError:
        pass
    try:
        tail = (state_dir / LOG_FILE).read_text(errors="replace").strip().splitlines()[-5:]
    except FileNotFoundError:
        tail = []
    return f"the netns lab keeper exited with status {code}" + (": " + " | ".join(tail) if tail else "")


def read_state(state_dir: Path) -> LabState | None:
    if keeper_alive(state_dir) is None:
        return None
    try:
        st = LabState.from_json((state_dir / STATE_FILE).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return st if st.engine == ENGINE else None


def read_extra(state_dir: Path) -> dict[str, Any]:
    try:
        doc = json.loads((state_dir / EXTRA_FILE).read_text())
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def down(state_dir: Path, timeout: float = 60.0) -> None:
    """Undo faults, stop the keeper (it tears the lab down), and reap what a dead keeper left."""
    with contextlib.suppress(NetnsEngineError, LabCommandError, OSError):
        fault(state_dir, {"op": "clear"})
    rec = read_pid(state_dir / PID_FILE)
    if rec is not None and keeper_alive(state_dir) is not None:
        pid, start = rec

        def alive() -> bool:
            # By pid and start time, not by the pid file: the keeper removes that file just
            # before it exits.
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # our child when up() ran in this process
            return start_time(pid) == start and pid_alive(pid)

        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
    # A keeper that died without tearing down (SIGKILL) leaves an ownerless registry record.
    reap_stale()
    for name in (STATE_FILE, PID_FILE, CONFIG_FILE, EXTRA_FILE, FAULTS_FILE, KNOWN_HOSTS):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / name).unlink()


# ------------------------------------------------------------------ the keeper process
class _Stop(Exception):
    pass


def _on_term(_sig: int, _frame: FrameType | None) -> None:
    raise _Stop


def keep(state_dir: Path) -> int:
    """The keeper: build the lab, publish its state, wait for SIGTERM, tear everything down."""
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    write_pid(state_dir / PID_FILE)
    cfg = json.loads((state_dir / CONFIG_FILE).read_text())
    topology = topology_from_dict(cfg["topology"])
    lab = NetnsLab()
    started = time.monotonic()
    try:
        lab.start()
        state, extra = build(lab, topology, cfg, state_dir)
        write_private(state_dir / EXTRA_FILE, json.dumps(extra, indent=1))
        write_private(state_dir / STATE_FILE, state.to_json())
        print(
            f"lab {topology.name} up in {time.monotonic() - started:.1f}s (prefix {lab.prefix})", flush=True
        )
        while True:
            time.sleep(5)
            lab._reap()  # our own children (netconfd, UTS holders), never waitpid(-1)
    except _Stop:
        pass
    except BaseException as exc:
        with contextlib.suppress(OSError):
            (state_dir / ERROR_FILE).write_text(f"netns lab {topology.name}: {exc}\n")
        print(f"failed: {exc!r}", flush=True)
        _teardown(lab, state_dir)
        return 1
    _teardown(lab, state_dir)
    return 0


def _teardown(lab: NetnsLab, state_dir: Path) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # finish the teardown whatever happens
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    left = lab.stop(check=False)
    if left:
        print("left behind: " + "; ".join(left), flush=True)
    for name in (STATE_FILE, EXTRA_FILE, FAULTS_FILE, PID_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / name).unlink()


def build(
    lab: NetnsLab, topology: Topology, cfg: Mapping[str, Any], state_dir: Path
) -> tuple[LabState, dict[str, Any]]:
    profiles: dict[str, dict[str, str]] = cfg["profiles"]
    ports = [int(p) for p in cfg["trap_ports"]]
    communities = [p["community"] for p in profiles.values() if p.get("version") == "v2c"]
    keys = ("user", "auth_proto", "auth_key", "priv_proto", "priv_key")
    v3 = tuple(tuple((k, p[k]) for k in keys) for p in profiles.values() if p.get("version") == "v3")
    ifmap = plan_interfaces(topology)
    routing = {n.name: routing_of(n, i) for i, n in enumerate(topology.nodes.values())}
    for node in topology.nodes.values():
        r = routing[node.name]
        daemons = ("zebra", "staticd", *(("ospfd",) if r.ospf else ()), *(("bgpd",) if r.bgp else ()))
        lab.add_node(
            node.name,
            netconf=NetconfService(
                port=NETCONF_PORT, startup=netconf_startup_with_ports(list(ifmap[node.name].values()))
            ),
            frr=FrrService(daemons=daemons, port=SSH_PORT, agentx=True),
            snmp=SnmpService(
                communities=tuple(communities),
                v3_users=v3,
                trap_ports=tuple(ports),
                trap_community=communities[0] if communities else "public",
                # a node the agent manages over SNMPv3 also traps over SNMPv3, as that user
                trap_v3_user=_v3_user(
                    profiles, node.label("ossagent-snmp-profile", PROFILE_V2C) or PROFILE_V2C
                ),
                sys_descr=f"ossagent netns lab {topology.name}/{node.name}: {runs_as(node.kind)}",
                location=node.label("site") or f"netns lab {topology.name}",
                engine_id=engine_id_for(topology.name, node.name),
                port=SNMP_PORT,
            ),
            lldp=LldpService() if shutil.which("lldpd") else None,
            spare_interfaces=0,
            hostname=node.name,
            # Daemons start once the links exist: snmpd's ifTable cache (a few seconds) and
            # FRR's interface list are then right from the first moment.
            defer_services=True,
        )
    addrs: dict[tuple[str, str], str] = {}  # (node, linux ifname) -> address/30
    peers: dict[tuple[str, str], str] = {}  # (node, linux ifname) -> "peer:linux ifname"
    skipped = []
    outside: list[str] = []  # "node:interface" of ports cabled to the stub namespace
    stub = ""
    for link in topology.links:
        ends = [e for e in link.endpoints() if not e.is_pseudo]
        if link.z is None or link.a.is_pseudo or link.z.is_pseudo:
            # host:/mgmt-net:/macvlan: and single-ended links would touch the host's own
            # network: their lab-side port gets a veth to a stub namespace of the lab
            # instead, so it exists, is up (a cable to equipment outside) and can be cut.
            if not ends:
                continue
            stub = stub or lab.add_stub("_ext")  # "_": no clash with a node name
            for ep in ends:
                far = f"x{len(outside) + 1}"
                lab.cable_out(ep.node, ifmap[ep.node][ep.interface], stub, far)
                outside.append(str(ep))
            skipped.append(" -- ".join(str(e) for e in link.endpoints()))
            continue
        a, z = link.a, link.z
        ia, iz = ifmap[a.node][a.interface], ifmap[z.node][z.interface]
        (_, aa), (_, az) = lab.link(a.node, z.node, ia, iz)
        addrs[(a.node, ia)], addrs[(z.node, iz)] = aa, az
        peers[(a.node, ia)], peers[(z.node, iz)] = f"{z.node}:{iz}", f"{a.node}:{ia}"
        for ep, ifname in ((a, ia), (z, iz)):
            ns = lab.nodes[ep.node].namespace
            if link.mtu:
                run(["ip", "-n", ns, "link", "set", "dev", ifname, "mtu", str(link.mtu)])
            # The file's name as the kernel's ifalias: `ip link` shows which port this is.
            run(["ip", "-n", ns, "link", "set", "dev", ifname, "alias", ep.interface])
    for node in topology.nodes.values():
        r = routing[node.name]
        mine = {ifn: a for (n, ifn), a in addrs.items() if n == node.name}
        neighbors = []
        for ifn in mine:
            pn, pif = peers[(node.name, ifn)].split(":", 1)
            pr = routing[pn]
            if r.bgp and pr.bgp and pr.asn is not None:
                neighbors.append((addrs[(pn, pif)].split("/")[0], pr.asn))
        descr = {"mgmt0": "management"} | {ifn: f"to {peers[(node.name, ifn)]}" for ifn in sorted(mine)}
        lab.start_services(node.name, frr_config=_frr_conf(lab, node.name, descr, mine, r, neighbors))
    nodes = []
    extra_nodes: dict[str, Any] = {}
    known_hosts = []
    for i, tnode in enumerate(topology.nodes.values()):
        n = lab.nodes[tnode.name]
        face = config_face(tnode)
        wait_until(partial(ns_listening, n.namespace, SNMP_PORT, "udp"), 10, f"{n.name}: snmpd")
        links = _links_of(n.namespace)
        rev = {v: k for k, v in ifmap[tnode.name].items()}
        ifaces = []
        for ifname in ["mgmt0", *sorted(rev, key=lambda x: links.get(x, {}).get("ifindex", 0))]:
            info = links.get(ifname, {})
            ifaces.append(
                IfState(
                    name=ifname,
                    if_index=int(info.get("ifindex", 0)),
                    descr=ifname,
                    speed_mbps=10000,
                    mac=str(info.get("address", "")),
                    peer=peers.get((tnode.name, ifname)),
                )
            )
        prof = tnode.label("ossagent-snmp-profile", PROFILE_V2C) or PROFILE_V2C
        nodes.append(
            NodeState(
                name=tnode.name,
                long_name=topology.long_name(tnode.name),
                kind=tnode.kind,
                role=tnode.label("role"),
                site=tnode.label("site"),
                address=n.address,
                snmp_port=SNMP_PORT,
                snmp_profile=prof,
                engine_id=engine_id_for(topology.name, tnode.name),
                sys_name=n.hostname,
                platform="frr",
                interfaces=tuple(ifaces),
                mgmt_via=tuple(v.strip() for v in tnode.label("ossagent-mgmt-via").split(",") if v.strip()),
                faces=("netconf", "cli"),
                cli_dialect="ios",  # vtysh speaks IOS-like CLI (netmiko cisco_ios, LAB.md §3.3)
                ssh_port=SSH_PORT,
                netconf_port=NETCONF_PORT,
                username=lab.username,
                password=lab.password,
                host_key=n.host_key,
                netconf_datastore="candidate",
                config_face=face,
                config_platform=NETCONF_PLATFORM if face == "netconf" else "",
            )
        )
        r = routing[tnode.name]
        extra_nodes[tnode.name] = {
            "index": i + 1,
            "namespace": n.namespace,
            "runs": runs_as(tnode.kind),
            "stand_in": tnode.kind != "linux",
            "host_link": n.host_link,
            "host_address": n.host_address,
            "dir": str(n.dir),
            "uts_holder": n.uts_holder,
            "interfaces": dict(ifmap[tnode.name]),
            "addresses": {ifn: a for (nn, ifn), a in addrs.items() if nn == tnode.name},
            "services": {
                "snmp": f"udp/{SNMP_PORT}",
                "vtysh": f"ssh/{SSH_PORT}",
                "netconf": f"ssh/{NETCONF_PORT}",
                "frr": list(lab_daemons(r)),
                "changed_through": "netconf" if face == "netconf" else "vtysh",
                **({"lldp": "lldpd (LLDP-MIB via AgentX)"} if shutil.which("lldpd") else {}),
            },
            "routing": {"ospf": r.ospf, "bgp": r.bgp, "asn": r.asn},
        }
        for port in (SSH_PORT, NETCONF_PORT):
            known_hosts.append(f"[{n.address}]:{port} {n.host_key}")
    (state_dir / KNOWN_HOSTS).write_text("\n".join(known_hosts) + "\n")
    state = LabState(
        name=topology.name,
        pid=os.getpid(),
        topology_path=str(topology.path) if topology.path else None,
        started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        control_socket="",
        profiles=profiles,
        nodes=tuple(nodes),
        engine=ENGINE,
        snmp_port=SNMP_PORT,
        trap_receivers=tuple((str(h), int(p)) for h, p in cfg["trap_receivers"]),
        state_dir=str(state_dir),
        known_hosts=str(state_dir / KNOWN_HOSTS),
    )
    extra = {
        "prefix": lab.prefix,
        "dir": str(lab.dir),
        "nodes": extra_nodes,
        "skipped_links": skipped,  # not built as in the file: their ports go to the stub
        "outside_ports": outside,
        "stub": stub,  # the namespace at the far side of the outside ports
        "trap_ports": ports,
    }
    return state, extra


def lab_daemons(r: Routing) -> tuple[str, ...]:
    return ("zebra", "staticd", *(("ospfd",) if r.ospf else ()), *(("bgpd",) if r.bgp else ()))


def _frr_conf(
    lab: NetnsLab,
    name: str,
    descr: dict[str, str],
    addrs: dict[str, str],
    r: Routing,
    neighbors: list[tuple[str, int]],
) -> str:
    from lab.netns import configs

    node = lab.nodes[name]
    nets = sorted({str(ipaddress.ip_interface(a).network) for a in addrs.values()})
    return configs.frr_routing_conf(
        hostname=node.hostname,
        router_id=node.address,
        interfaces=descr,
        p2p_interfaces=list(addrs),
        ospf_networks=nets,
        passive=["mgmt0"],
        asn=r.asn if r.bgp else None,
        bgp_neighbors=neighbors,
        agentx=True,
        ospf=r.ospf,
    )


def _links_of(ns: str) -> dict[str, dict[str, Any]]:
    res = run(["ip", "-n", ns, "-j", "link", "show"])
    return {str(d["ifname"]): d for d in json.loads(res.stdout or "[]")}


# ------------------------------------------------------------------ faults
@contextlib.contextmanager
def _faults(state_dir: Path) -> Iterator[dict[str, Any]]:
    """faults.json under an exclusive lock (two `lab fault` commands at once stay consistent)."""
    with open(state_dir / ".faults.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            doc = json.loads((state_dir / FAULTS_FILE).read_text())
        except (OSError, ValueError):
            doc = {}
        doc.setdefault("links", {})
        doc.setdefault("dead", [])
        doc.setdefault("netem", {})
        yield doc
        tmp = state_dir / f".{FAULTS_FILE}.tmp"
        tmp.write_text(json.dumps(doc, indent=1))
        tmp.replace(state_dir / FAULTS_FILE)


def _resolve_if(extra_node: Mapping[str, Any], name: str) -> tuple[str, str]:
    """(topology name, Linux name) for an interface given by either name."""
    ifmap: dict[str, str] = extra_node["interfaces"]
    if name in ifmap:
        return name, ifmap[name]
    for topo, linux in ifmap.items():
        if linux == name:
            return topo, linux
    raise NetnsEngineError(f"no interface {name!r} (have: {', '.join(ifmap) or 'none'})")


def fault(state_dir: Path, command: Mapping[str, Any]) -> dict[str, Any]:
    st = read_state(state_dir)
    extra = read_extra(state_dir)
    if st is None or not extra:
        raise NetnsEngineError(f"no netns lab is running in {state_dir}")
    nodes: dict[str, Any] = extra["nodes"]
    op = command.get("op")

    def node_of() -> tuple[str, dict[str, Any]]:
        name = str(command.get("node", ""))
        if name not in nodes:
            raise NetnsEngineError(f"no node {name!r} in lab {st.name}")
        return name, nodes[name]

    with _faults(state_dir) as doc:
        if op == "link":
            name, xn = node_of()
            topo_if, linux = _resolve_if(xn, str(command.get("interface", "")))
            state = str(command.get("state", ""))
            if state not in ("up", "down"):
                raise NetnsEngineError("state must be up or down")
            key = f"{name}:{topo_if}"
            if state == "down":
                doc["links"][key] = "down"
            else:
                doc["links"].pop(key, None)
            peer = next((i.peer for i in st.node(name).interfaces if i.name == linux), None)
            outside = _outside_end(extra, key)
            if outside is not None:
                # A cable to equipment outside the lab: the far side goes dark (a customer's
                # CPE losing power, a cut fibre), so the port loses carrier while it stays
                # administratively up, as on a real access switch.
                stub, far = outside
                run(["ip", "-n", stub, "link", "set", "dev", far, state])
                if name not in doc["dead"]:
                    _wait_snmp_oper(st, nodes, [(name, linux)], 2 if state == "down" else 1)
                return {
                    "ok": True,
                    "node": name,
                    "interface": linux,
                    "state": state,
                    "detail": "outside cable",
                }
            if name not in doc["dead"]:
                run(["ip", "-n", xn["namespace"], "link", "set", "dev", linux, state])
                ends = [(name, linux)]
                if peer:
                    pn, pif = peer.split(":", 1)
                    if pn not in doc["dead"]:
                        ends.append((pn, pif))
                _wait_snmp_oper(st, nodes, ends, 2 if state == "down" else 1)
            return {"ok": True, "node": name, "interface": linux, "state": state, "detail": f"peer {peer}"}
        if op == "node":
            name, _ = node_of()
            state = str(command.get("state", ""))
            if state not in ("up", "down"):
                raise NetnsEngineError("state must be up or down")
            dead = set(doc["dead"])
            if state == "down":
                dead.add(name)
            else:
                dead.discard(name)
            doc["dead"] = sorted(dead)
            unreachable = _apply_nodes(st, nodes, doc)
            _wait_snmp_oper(st, nodes, _ends_of(st, nodes, [name], doc), 2 if state == "down" else 1)
            return {"ok": True, "node": name, "state": state, "unreachable": sorted(unreachable)}
        if op in ("latency", "loss", "slow"):
            name, xn = node_of()
            cur = dict(doc["netem"].get(name, {}))
            if op == "loss":
                pct = float(command.get("pct", -1))
                if not 0 <= pct <= 100:
                    raise NetnsEngineError("loss must be between 0 and 100 percent")
                cur["loss_pct"] = pct
            else:
                ms = float(command.get("ms", command.get("delay_ms", -1)))
                if not 0 <= ms <= 60_000:
                    raise NetnsEngineError("latency must be between 0 and 60000 ms")
                cur["delay_ms"] = ms
            via = _apply_netem(name, xn, cur.get("delay_ms", 0.0), cur.get("loss_pct", 0.0))
            if via:
                cur["via"] = via
                doc["netem"][name] = cur
            else:
                doc["netem"].pop(name, None)
            return {"ok": True, "node": name, **cur}
        if op == "clear":
            for name in list(doc["netem"]):
                _apply_netem(name, nodes[name], 0.0, 0.0)
            doc["netem"] = {}
            was_dead = list(doc["dead"])
            doc["dead"] = []
            links = dict(doc["links"])
            doc["links"] = {}
            _apply_nodes(st, nodes, doc)
            ends = _ends_of(st, nodes, was_dead, doc)
            for key in links:
                name, topo_if = key.split(":", 1)
                _, linux = _resolve_if(nodes[name], topo_if)
                outside = _outside_end(extra, key)
                if outside is not None:
                    run(["ip", "-n", outside[0], "link", "set", "dev", outside[1], "up"])
                else:
                    run(["ip", "-n", nodes[name]["namespace"], "link", "set", "dev", linux, "up"])
                ends += [(name, linux), *_peer_end(st, name, linux)]
            _wait_snmp_oper(st, nodes, ends, 1)
            return {"ok": True, "cleared": True}
    raise NetnsEngineError(
        f"the netns engine does not support fault {op!r} (it has: link, node, latency, loss, slow, clear)"
    )


def _outside_end(extra: Mapping[str, Any], key: str) -> tuple[str, str] | None:
    """(stub namespace, veth name) at the far side of a port cabled outside the lab."""
    ports: list[str] = extra.get("outside_ports", [])
    if key not in ports or not extra.get("stub"):
        return None
    return str(extra["stub"]), f"x{ports.index(key) + 1}"  # named in order by build()


def _peer_end(st: LabState, node: str, ifname: str) -> list[tuple[str, str]]:
    peer = next((i.peer for i in st.node(node).interfaces if i.name == ifname), None)
    if not peer:
        return []
    pn, pif = peer.split(":", 1)
    return [(pn, pif)]


def _ends_of(
    st: LabState, nodes: Mapping[str, Any], names: Sequence[str], doc: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The link ends whose oper status changes when nodes ``names`` go down or come back, as
    live snmpds see it: a dead node's far ends; both ends of a revived node's links, except
    links that are cut or lead to another dead node."""
    dead = set(doc["dead"])
    cut = set()
    for key in doc["links"]:
        n, topo_if = key.split(":", 1)
        cut.add((n, nodes[n]["interfaces"].get(topo_if, topo_if)))
    out: list[tuple[str, str]] = []
    for name in names:
        for itf in st.node(name).interfaces:
            if not itf.peer:
                continue
            pn, pif = itf.peer.split(":", 1)
            if (name, itf.name) in cut or (pn, pif) in cut or pn in dead:
                continue
            out.append((pn, pif))
            if name not in dead:
                out.append((name, itf.name))
    return out


def _wait_snmp_oper(
    st: LabState, nodes: Mapping[str, Any], ends: list[tuple[str, str]], want: int, timeout: float = 8.0
) -> None:
    """Return once each end's own snmpd reports ifOperStatus ``want``. Net-SNMP caches its
    ifTable for about 3 s; waiting here gives `lab fault link` the sim's contract (the next
    poll after the command sees the change). Asked inside each namespace on its loopback, so
    nothing crosses the management link; skipped when Net-SNMP's snmpget is not installed."""
    if run(["which", "snmpget"], check=False).returncode != 0:
        return
    community = next((p["community"] for p in st.profiles.values() if p.get("version") == "v2c"), "")
    if not community:
        return
    todo = {}
    for node, ifname in ends:
        idx = next((i.if_index for i in st.node(node).interfaces if i.name == ifname), 0)
        if idx:
            todo[(node, ifname)] = (nodes[node]["namespace"], f"1.3.6.1.2.1.2.2.1.8.{idx}")
    deadline = time.monotonic() + timeout
    while todo and time.monotonic() < deadline:
        for key, (ns, oid) in list(todo.items()):
            res = run(
                ["ip", "netns", "exec", ns, "snmpget", "-v2c", "-c", community, "-Oqv", "-t", "1", "-r", "0",
                 "127.0.0.1", oid],
                check=False, env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "MIBS": ""},
            )  # fmt: skip
            if res.returncode == 0 and res.stdout.strip() in (str(want), "down" if want == 2 else "up"):
                del todo[key]
        if todo:
            time.sleep(0.1)


def _unreachable(st: LabState, dead: set[str]) -> set[str]:
    """Dead nodes plus nodes whose every management parent is unreachable (as the sim does)."""
    out = set(dead)
    grew = True
    while grew:
        grew = False
        for n in st.nodes:
            if n.name not in out and n.mgmt_via and all(p in out for p in n.mgmt_via):
                out.add(n.name)
                grew = True
    return out


def _apply_nodes(st: LabState, nodes: Mapping[str, Any], doc: Mapping[str, Any]) -> set[str]:
    """Make the kernel match the fault state (idempotent). A dead node: every process in its
    namespace frozen (answers and sends nothing), its link interfaces down (the far ends lose
    carrier and trap about it) and its management veth down. A node reached only through dead
    nodes: its management veth down (the agent cannot reach it; it keeps running)."""
    dead = set(doc["dead"])
    unreachable = _unreachable(st, dead)
    cut = set(doc["links"])
    for name, xn in nodes.items():
        ns = xn["namespace"]
        if name in dead:
            for pid in netns_pids(ns):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)  # first: it must not trap about its own links
            for linux in xn["interfaces"].values():
                run(["ip", "-n", ns, "link", "set", "dev", linux, "down"], check=False)
        else:
            for topo_if, linux in xn["interfaces"].items():
                if f"{name}:{topo_if}" not in cut:
                    run(["ip", "-n", ns, "link", "set", "dev", linux, "up"], check=False)
            for pid in netns_pids(ns):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        state = "down" if name in unreachable else "up"
        run(["ip", "link", "set", "dev", xn["host_link"], state], check=False)
    return unreachable


def _netem_ifaces(xn: Mapping[str, Any]) -> list[str]:
    return ["mgmt0", *xn["interfaces"].values()]


def tc_netem_args(ifname: str, delay_ms: float, loss_pct: float) -> list[str]:
    args = ["tc", "qdisc", "replace", "dev", ifname, "root", "netem"]
    if delay_ms:
        args += ["delay", f"{delay_ms:g}ms"]
    if loss_pct:
        args += ["loss", f"{loss_pct:g}%"]
    return args


def _apply_netem(name: str, xn: Mapping[str, Any], delay_ms: float, loss_pct: float) -> str:
    """Delay and/or drop everything the node sends on its interfaces (management included).
    tc netem where the kernel has it; else the NFQUEUE helper (lab.netns.netem). Returns the
    mechanism used, or "" when cleared."""
    ns = xn["namespace"]
    ifaces = _netem_ifaces(xn)
    _stop_helper(xn)
    for cmd in nfq.iptables_remove():
        run(["ip", "netns", "exec", ns, *cmd], check=False)
    for ifname in ifaces:
        run(["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", ifname, "root"], check=False)
    if not delay_ms and not loss_pct:
        return ""
    first = run(["ip", "netns", "exec", ns, *tc_netem_args(ifaces[0], delay_ms, loss_pct)], check=False)
    if first.returncode == 0:
        for ifname in ifaces[1:]:
            run(["ip", "netns", "exec", ns, *tc_netem_args(ifname, delay_ms, loss_pct)])
        return "tc-netem"
    if "unknown" not in first.stderr.lower() and "no such file" not in first.stderr.lower():
        raise NetnsEngineError(f"tc netem on {name}: {first.stderr.strip()}")
    # This kernel has no sch_netem: NFQUEUE + the helper process (see lab.netns.netem).
    if run(["which", "iptables"], check=False).returncode != 0:
        raise NetnsEngineError(
            "this kernel has no tc netem and iptables is missing for the NFQUEUE fallback "
            "(Debian package iptables; scripts/install-system-packages.sh installs it)"
        )
    d = Path(xn["dir"])
    ready = d / "netem.ready"
    with contextlib.suppress(FileNotFoundError):
        ready.unlink()
    with open(d / "netem.log", "ab") as log:
        proc = subprocess.Popen(
            [
                "ip", "netns", "exec", ns, sys.executable, "-m", "lab.netns.netem", "--queue", "0",
                "--delay-ms", f"{delay_ms:g}", "--loss-pct", f"{loss_pct:g}", "--ready-file", str(ready),
            ],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=python_env(),
            start_new_session=True, close_fds=True,
        )  # fmt: skip
    (d / "netem.pid").write_text(f"{proc.pid} {start_time(proc.pid)}\n")
    try:
        wait_until(lambda: ready.exists() or proc.poll() is not None, 10, f"{name}: netem helper")
    except LabCommandError:
        proc.kill()
        raise
    if proc.poll() is not None:
        raise NetnsEngineError(f"{name}: the netem helper exited (see {d / 'netem.log'})")
    for cmd in nfq.iptables_add(0):
        run(["ip", "netns", "exec", ns, *cmd])
    return "nfqueue"


def _stop_helper(xn: Mapping[str, Any]) -> None:
    pidfile = Path(xn["dir"]) / "netem.pid"
    rec = read_pid(pidfile)
    if rec is None:
        return
    pid, start = rec
    if start_time(pid) == start:  # the same process, not a recycled pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        while start_time(pid) == start and pid_alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.02)
        if pid_alive(pid) and start_time(pid) == start:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lab.engine_netns")
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keep", help="build a netns lab and keep it until SIGTERM")
    k.add_argument("--state-dir", required=True, type=Path)
    a = ap.parse_args(argv)
    return keep(a.state_dir.resolve())


if __name__ == "__main__":
    sys.exit(main())
