"""Real network peers in Linux network namespaces: yuma123 netconfd behind sshd, FRRouting
(zebra + staticd, optionally bgpd/ospfd) with vtysh over SSH. Recipes from LAB.md §3, §4, §8.

    with NetnsLab() as lab:                      # or: lab = NetnsLab().start(); ...; lab.stop()
        nc = lab.add_node("nc1", netconf=NetconfService())
        r1 = lab.add_node("r1", frr=FrrService())
        nc.address, nc.netconf_port, lab.username, lab.password, nc.host_key
    # everything is gone here; NetnsLab.stop() raises LabLeftovers if anything is not

Isolation: every run has its own name prefix (namespaces ``<prefix>-<node>``, host-side veths
``<prefix>m<i>``), its own /24 of 10.0.0.0/8 checked free against the host's routes, its own
lab user and its own directory; daemons are started and stopped by PID file and by
``ip netns pids`` of the run's own namespaces (never ``pkill``). A registry record in
``/run/ossagent-netns/<prefix>.json`` names what a run created, so ``reap_stale()`` can
remove what a killed run (SIGKILL, crashed CI job) left behind, and only that.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType

from lab.netns import configs
from lab.netns.system import (
    LabCommandError,
    add_user,
    delete_user,
    generate_host_key,
    host_ipv4_networks,
    host_links,
    link_exists,
    netns_list,
    netns_pids,
    read_pidfile,
    run,
    tcp_open,
    terminate,
    user_exists,
    wait_until,
)
from lab.procs import pid_alive, start_time

REGISTRY = Path("/run/ossagent-netns")
NAME_BASE = "oa"  # every namespace, link and user of a netns lab starts with this
FRR_GROUP = "frrvty"


class LabLeftovers(RuntimeError):
    """Teardown could not remove everything; the message lists what is left."""

    def __init__(self, leftovers: Sequence[str]) -> None:
        super().__init__("netns lab left behind: " + "; ".join(leftovers))
        self.leftovers = list(leftovers)


@dataclass(frozen=True)
class NetconfService:
    """yuma123 netconfd behind sshd. ``target`` "candidate" advertises :candidate and
    :confirmed-commit; "running" advertises :writable-running instead."""

    target: str = "candidate"
    with_startup: bool = False
    port: int = 830
    startup: str = ""  # the startup datastore's XML (<config>...</config>); "" = empty


@dataclass(frozen=True)
class FrrService:
    """FRR daemons (zebra first) and sshd whose ``port`` logs into vtysh."""

    daemons: tuple[str, ...] = ("zebra", "staticd")
    port: int = 22
    agentx: bool = False  # load FRR's AgentX modules (needs an SnmpService with agentx on the node)


@dataclass(frozen=True)
class SnmpService:
    """Net-SNMP snmpd in the node's namespace on udp/161 (LAB.md §2.2, §3.5): IF-MIB from the
    namespace's real interfaces, v2c ``communities``, SNMPv3 authPriv ``v3_users`` (dicts with
    user, auth_proto, auth_key, priv_proto, priv_key), linkUp/linkDown monitors sending v2c
    traps to ``trap_ports`` on the host side of the node's management veth (a namespace cannot
    reach the host's 127.0.0.1), and an AgentX master for FRR's MIBs."""

    communities: tuple[str, ...] = ("public",)
    v3_users: tuple[tuple[tuple[str, str], ...], ...] = ()
    trap_ports: tuple[int, ...] = ()
    trap_community: str = "public"
    sys_descr: str = "ossagent netns lab node"
    location: str = "ossagent netns lab"
    agentx: bool = True
    port: int = 161
    engine_id: str = ""  # hex; fixed so the agent can key SNMPv3 trap users to it
    trap_v3_user: tuple[tuple[str, str], ...] = ()  # send v3 authPriv traps as this user (else v2c)


@dataclass(frozen=True)
class LldpService:
    """lldpd on the node's link interfaces (never mgmt0: the management veth is not part of the
    network), advertising the node's hostname and its ports by name (port id subtype
    ifname, as EOS and IOS do), with the LLDP-MIB served through snmpd's AgentX master.
    ``tx_interval`` is short so neighbours appear within seconds of a lab coming up."""

    tx_interval: int = 1
    agentx: bool = True


@dataclass(frozen=True)
class Node:
    """One started node: what a client needs to reach it, and where its files are."""

    name: str
    namespace: str
    hostname: str
    address: str  # the node's management address (namespace side of the mgmt veth)
    host_address: str  # the host side of the mgmt veth
    host_link: str
    dir: Path
    host_key: str  # "ssh-ed25519 AAAA..." that the node's sshd presents
    netconf_port: int | None = None
    netconf_target: str | None = None
    vtysh_port: int | None = None
    snmp_port: int | None = None
    spare_interfaces: tuple[str, ...] = ()  # veth ends inside the namespace, up, unconfigured
    uts_holder: int = 0  # pid of the process that owns the node's UTS namespace

    def exec(self, *args: str, check: bool = True, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run a command inside the node (its network and UTS namespaces), as root."""
        return run(_in_node(self.namespace, self.uts_holder, list(args)), check=check, timeout=timeout)

    def vtysh(self, *commands: str) -> str:
        """vtysh commands run locally as root (for assertions that do not go over SSH)."""
        argv = ["/usr/bin/vtysh", "--vty_socket", str(self.dir), "--config_dir", str(self.dir)]
        for c in commands:
            argv += ["-c", c]
        return self.exec(*argv).stdout

    @property
    def frr_conf(self) -> Path:
        """The integrated config file that ``write memory`` writes."""
        return self.dir / "frr.conf"

    @property
    def netconf_startup(self) -> Path:
        return self.dir / "startup-cfg.xml"


def _in_node(ns: str, holder: int, argv: list[str]) -> list[str]:
    # `ip netns exec` enters the network namespace and remounts /sys for it (ifconfig and
    # netconfd read interface state there); nsenter -u joins the node's own UTS namespace so the
    # hostname, and so the vtysh prompt, is the node's. Both exec: the pid we get is the daemon's.
    if holder:
        return ["ip", "netns", "exec", ns, "nsenter", "-t", str(holder), "-u", "--", *argv]
    return ["ip", "netns", "exec", ns, *argv]


@dataclass(frozen=True)
class _Pending:
    """Services of a node whose start was deferred (add_node(defer_services=True))."""

    netconf: NetconfService | None
    frr: FrrService | None
    snmp: SnmpService | None
    timeout: float
    lldp: LldpService | None = None


@dataclass
class _Record:
    """What one lab run created (the registry file), for teardown and for reap_stale()."""

    prefix: str
    owner_pid: int
    owner_start: int | None
    dir: str
    user: str | None = None
    namespaces: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    pidfiles: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=1)

    @classmethod
    def from_json(cls, text: str) -> _Record:
        data = json.loads(text)
        return cls(**data)


class NetnsLab:
    """A set of namespaced nodes with one lab user; a context manager.

    ``prefix`` (default: random ``oa`` + 5 hex digits) names everything the lab creates;
    ``root`` is the directory for node files (default: a fresh temp dir, removed at stop).
    """

    def __init__(
        self,
        *,
        prefix: str | None = None,
        root: Path | None = None,
        registry: Path = REGISTRY,
        keep_files: bool = False,
    ) -> None:
        self.prefix = prefix or f"{NAME_BASE}{secrets.token_hex(3)[:5]}"
        if not self.prefix.isalnum() or not self.prefix.islower() or len(self.prefix) > 9:
            # Host-side veth names are <prefix>m<i> and must fit IFNAMSIZ (15).
            raise ValueError("prefix: up to 9 lowercase letters/digits")
        self.username = f"{self.prefix}u"
        # A throwaway lab password: random per run, only ever given to chpasswd on stdin.
        self.password = f"Lab-{secrets.token_urlsafe(12)}"
        self._root_given = root
        self._keep_files = keep_files
        self._registry = registry
        self.dir = Path()
        self.nodes: dict[str, Node] = {}
        self._record: _Record | None = None
        self._net: ipaddress.IPv4Network | None = None
        self._links = 0
        self._popen: list[subprocess.Popen[bytes]] = []
        self._pending: dict[str, _Pending] = {}

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> NetnsLab:
        if self._record is not None:
            return self
        reap_stale(self._registry)
        if self._root_given is not None:
            self._root_given.mkdir(parents=True, exist_ok=True)
            self.dir = Path(tempfile.mkdtemp(prefix=f"{self.prefix}-", dir=self._root_given))
        else:
            self.dir = Path(tempfile.mkdtemp(prefix=f"ossagent-netns-{self.prefix}-"))
        # The frr daemons (user frr) and the lab user must traverse the lab directory.
        self.dir.chmod(0o755)
        self._record = _Record(
            prefix=self.prefix, owner_pid=os.getpid(), owner_start=start_time(os.getpid()), dir=str(self.dir)
        )
        self._save()
        try:
            self._net = _free_slash24()
            Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation dir (shared, kept)
            if user_exists(self.username):
                raise LabCommandError(f"user {self.username} exists already")
            self._record.user = self.username
            self._save()
            add_user(self.username, self.password, FRR_GROUP)
            (self.dir / "bin").mkdir()
            helper = self.dir / "bin" / "get-interface-ipv4"
            helper.write_text(configs.GET_INTERFACE_IPV4)
            helper.chmod(0o755)
        except BaseException:
            self.stop(check=False)
            raise
        return self

    def __enter__(self) -> NetnsLab:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Do not mask the test's own exception with a teardown complaint.
        self.stop(check=exc_type is None)

    def stop(self, check: bool = True) -> list[str]:
        """Stop every process, remove namespaces, links, the user and the files. Returns what
        could not be removed (and raises LabLeftovers for it when ``check``)."""
        rec = self._record
        if rec is None:
            return []
        _teardown(rec, keep_files=self._keep_files, reap=self._reap)
        self._reap()
        left = _leftovers(rec)
        if not left:
            with suppress(FileNotFoundError):
                (self._registry / f"{rec.prefix}.json").unlink()
        self._record = None
        self.nodes.clear()
        if left and check:
            raise LabLeftovers(left)
        return left

    def leftovers(self) -> list[str]:
        return _leftovers(self._record) if self._record else []

    # ---------------------------------------------------------------- nodes
    def add_node(
        self,
        name: str,
        *,
        netconf: NetconfService | None = None,
        frr: FrrService | None = None,
        snmp: SnmpService | None = None,
        lldp: LldpService | None = None,
        spare_interfaces: int = 1,
        hostname: str | None = None,
        timeout: float = 20.0,
        defer_services: bool = False,
    ) -> Node:
        """Create namespace ``<prefix>-<name>`` with a management veth to the host, start the
        requested services and wait until their SSH ports answer (with ``defer_services``, only
        later, in :meth:`start_services`)."""
        rec, net = self._started()
        if name in self.nodes:
            raise ValueError(f"node {name!r} exists")
        index = len(self.nodes) + 1
        if index > 32:
            raise ValueError("a netns lab holds at most 32 nodes (one /30 each in its /24)")
        ns = f"{self.prefix}-{name}"
        link = f"{self.prefix}m{index}"
        base = int(net.network_address) + 4 * (index - 1)
        host_ip, ns_ip = str(ipaddress.IPv4Address(base + 1)), str(ipaddress.IPv4Address(base + 2))
        node_dir = self.dir / name
        node_dir.mkdir()
        rec.namespaces.append(ns)
        rec.links.append(link)
        self._save()

        run(["ip", "netns", "add", ns])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "link", "add", link, "type", "veth", "peer", "name", "mgmt0", "netns", ns])
        run(["ip", "addr", "add", f"{host_ip}/30", "dev", link])
        run(["ip", "link", "set", link, "up"])
        run(["ip", "-n", ns, "addr", "add", f"{ns_ip}/30", "dev", "mgmt0"])
        run(["ip", "-n", ns, "link", "set", "mgmt0", "up"])
        spares = []
        for i in range(1, spare_interfaces + 1):
            # A veth pair entirely inside the namespace: real interfaces to configure and flap.
            a, b = f"sp{i}a", f"sp{i}b"
            run(["ip", "-n", ns, "link", "add", a, "type", "veth", "peer", "name", b])
            run(["ip", "-n", ns, "link", "set", a, "up"])
            run(["ip", "-n", ns, "link", "set", b, "up"])
            spares.append(a)

        hostname = hostname or name
        holder = self._spawn(ns, 0, ["unshare", "--uts", "--", "sleep", "infinity"], node_dir / "uts.pid")
        _set_node_hostname(ns, holder, hostname)

        key_path = node_dir / "ssh_host_ed25519_key"
        host_key = generate_host_key(key_path)
        node = Node(
            name=name,
            namespace=ns,
            hostname=hostname,
            address=ns_ip,
            host_address=host_ip,
            host_link=link,
            dir=node_dir,
            host_key=host_key,
            netconf_port=netconf.port if netconf else None,
            netconf_target=netconf.target if netconf else None,
            vtysh_port=frr.port if frr else None,
            snmp_port=snmp.port if snmp else None,
            spare_interfaces=tuple(spares),
            uts_holder=holder,
        )
        self.nodes[name] = node
        pending = _Pending(netconf, frr, snmp, timeout, lldp)
        if defer_services:
            self._pending[name] = pending
        else:
            self._start_services(node, pending, None)
        return node

    def start_services(self, name: str, *, frr_config: str | None = None) -> Node:
        """Start the services of a node added with ``defer_services=True`` (after its links
        exist: snmpd then lists them from its first answer and FRR sees them at start);
        ``frr_config`` replaces the minimal integrated config FRR starts with."""
        pending = self._pending.pop(name)
        node = self.nodes[name]
        self._start_services(node, pending, frr_config)
        return node

    def _start_services(self, node: Node, p: _Pending, frr_config: str | None) -> None:
        node_dir, ns, holder = node.dir, node.namespace, node.uts_holder
        if p.snmp is not None:
            # Before FRR: its AgentX subagents then find the master at once.
            self._start_snmpd(node, p.snmp)
        if p.frr is not None:
            self._start_frr(node, p.frr, list(node.spare_interfaces), frr_config)
        if p.netconf is not None:
            self._start_netconfd(node, p.netconf)
        if p.lldp is not None:
            self._start_lldpd(node, p.lldp, agentx=p.snmp is not None and p.snmp.agentx)
        conf = node_dir / "sshd_config"
        conf.write_text(
            configs.sshd_config(
                listen=node.address,
                host_key=node_dir / "ssh_host_ed25519_key",
                pid_file=node_dir / "sshd.pid",
                user=self.username,
                vtysh_port=p.frr.port if p.frr else None,
                netconf_port=p.netconf.port if p.netconf else None,
                ncxserver_sock=node_dir / "ncxserver.sock" if p.netconf else None,
                vty_dir=node_dir if p.frr else None,
            )
        )
        self._track(node_dir / "sshd.pid")
        run(_in_node(ns, holder, ["/usr/sbin/sshd", "-f", str(conf), "-E", str(node_dir / "sshd.log")]))
        for port in (x for x in (node.netconf_port, node.vtysh_port) if x is not None):
            wait_until(
                partial(tcp_open, node.address, port),
                p.timeout,
                f"{node.name}: sshd on {node.address}:{port}",
            )

    def add_stub(self, name: str) -> str:
        """A bare namespace ``<prefix>-<name>`` (loopback up, no daemons), recorded for
        teardown: the far side of cables that leave the lab (containerlab's ``host:`` links)."""
        rec, _ = self._started()
        ns = f"{self.prefix}-{name}"
        rec.namespaces.append(ns)
        self._save()
        run(["ip", "netns", "add", ns])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        return ns

    def cable_out(self, node: str, ifname: str, stub_ns: str, far_name: str) -> None:
        """A veth from ``node``'s ``ifname`` to ``far_name`` in namespace ``stub_ns``, both up
        and unaddressed: a port with a cable to equipment outside the lab."""
        n = self.nodes[node]
        run(["ip", "link", "add", ifname, "netns", n.namespace, "type", "veth", "peer", "name", far_name,
             "netns", stub_ns])  # fmt: skip
        run(["ip", "-n", stub_ns, "link", "set", far_name, "up"])
        run(["ip", "-n", n.namespace, "link", "set", ifname, "up"])

    def link(
        self, a: str, b: str, ifname_a: str | None = None, ifname_b: str | None = None
    ) -> tuple[tuple[str, str], tuple[str, str]]:
        """A veth between two nodes (``ifname_a`` in a, ``ifname_b`` in b; default ``eth-<b>``
        and ``eth-<a>``) with a /30 from the lab's block. Returns ((ifname_a, addr_a/30),
        (ifname_b, addr_b/30))."""
        _, net = self._started()
        na, nb = self.nodes[a], self.nodes[b]
        self._links += 1
        if self._links > 32:
            raise ValueError("a netns lab holds at most 32 links")
        base = int(net.network_address) + 128 + 4 * (self._links - 1)
        ia, ib = ifname_a or f"eth-{b}"[:15], ifname_b or f"eth-{a}"[:15]
        ipa, ipb = f"{ipaddress.IPv4Address(base + 1)}/30", f"{ipaddress.IPv4Address(base + 2)}/30"
        run(
            [
                "ip",
                "link",
                "add",
                ia,
                "netns",
                na.namespace,
                "type",
                "veth",
                "peer",
                "name",
                ib,
                "netns",
                nb.namespace,
            ]
        )
        for node, ifname, addr in ((na, ia, ipa), (nb, ib, ipb)):
            run(["ip", "-n", node.namespace, "addr", "add", addr, "dev", ifname])
            run(["ip", "-n", node.namespace, "link", "set", ifname, "up"])
        return (ia, ipa), (ib, ipb)

    # ---------------------------------------------------------------- services
    def _start_frr(self, node: Node, frr: FrrService, spares: list[str], config: str | None = None) -> None:
        d = node.dir
        shutil.chown(d, "frr", FRR_GROUP)
        # Group-writable: `write memory` by the lab user (group frrvty) replaces frr.conf here.
        d.chmod(0o775)
        conf = d / "frr.conf"
        conf.write_text(config or configs.frr_conf(node.hostname, {"mgmt0": "management"}))
        shutil.chown(conf, "frr", FRR_GROUP)
        conf.chmod(0o660)
        vtysh_conf = d / "vtysh.conf"  # present and empty, or vtysh warns on every start
        vtysh_conf.write_text("")
        shutil.chown(vtysh_conf, "frr", FRR_GROUP)
        env = None
        if frr.agentx:
            # FRR's subagents read the AgentX address from net-snmp's client config (LAB.md §3.5).
            (d / "snmp").mkdir(exist_ok=True)
            (d / "snmp" / "snmp.conf").write_text(f"agentXSocket {configs.AGENTX_SOCKET}\n")
            env = {**os.environ, "SNMPCONFPATH": str(d / "snmp"), "MIBS": ""}
        daemons = ("zebra", *[x for x in frr.daemons if x != "zebra"])
        for daemon in daemons:
            self._track(d / f"{daemon}.pid")
            run(
                _in_node(
                    node.namespace, node.uts_holder, configs.frr_daemon_args(daemon, d, snmp=frr.agentx)
                ),
                env=env,
            )
        for daemon in daemons:
            wait_until((d / f"{daemon}.vty").exists, 10, f"{node.name}: {daemon} vty")
        run(
            _in_node(
                node.namespace,
                node.uts_holder,
                ["/usr/bin/vtysh", "--vty_socket", str(d), "--config_dir", str(d), "-b"],
            )
        )

    def configure_frr(self, name: str, text: str) -> None:
        """Replace node ``name``'s integrated frr.conf with ``text`` and push it (``vtysh -b``);
        for routing config that needs the links, which exist only after the nodes."""
        node = self.nodes[name]
        conf = node.frr_conf
        conf.write_text(text)
        shutil.chown(conf, "frr", FRR_GROUP)
        conf.chmod(0o660)
        run(
            _in_node(
                node.namespace,
                node.uts_holder,
                ["/usr/bin/vtysh", "--vty_socket", str(node.dir), "--config_dir", str(node.dir), "-b"],
            )
        )

    def _start_snmpd(self, node: Node, snmp: SnmpService) -> None:
        d = node.dir
        persist = d / "snmp-persist"  # engineID and boots per node, never /var/lib/snmp
        persist.mkdir(exist_ok=True)
        conf = d / "snmpd.conf"
        text = configs.snmpd_conf(
            sys_name=node.hostname,
            sys_descr=snmp.sys_descr,
            location=snmp.location,
            communities=list(snmp.communities),
            v3_users=[dict(u) for u in snmp.v3_users],
            trap_targets=[(node.host_address, p) for p in snmp.trap_ports],
            trap_community=snmp.trap_community,
            agentx=snmp.agentx,
            engine_id=snmp.engine_id,
            trap_v3_user=dict(snmp.trap_v3_user) or None,
        )
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the lab's SNMP keys
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SNMP_PERSISTENT_DIR": str(persist), "MIBS": ""}
        argv = configs.snmpd_args(conf, d / "snmpd.log")
        self._spawn(node.namespace, node.uts_holder, argv, d / "snmpd.pid", env=env, log=d / "snmpd.out")
        wait_until(partial(ns_listening, node.namespace, snmp.port, "udp"), 10, f"{node.name}: snmpd")
        if snmp.agentx:
            wait_until(partial(_ns_tcp_listening, node.namespace, 705), 10, f"{node.name}: snmpd AgentX")

    def _start_lldpd(self, node: Node, lldp: LldpService, *, agentx: bool) -> None:
        d = node.dir
        conf = d / "lldpd.conf"
        conf.write_text(
            f"configure lldp tx-interval {lldp.tx_interval}\nconfigure lldp portidsubtype ifname\n"
        )
        # lldpd drops privileges into this chroot (Debian's unit creates it; we may have no unit).
        Path("/run/lldpd").mkdir(mode=0o755, exist_ok=True)
        argv = [
            "/usr/sbin/lldpd", "-d",  # foreground: the pid we record is lldpd's own
            "-u", str(d / "lldpd.socket"),  # one control socket per node, not the system's
            "-O", str(conf),
            "-I", "*,!mgmt0",
            "-k",  # no kernel version in the system description
        ]  # fmt: skip
        if lldp.agentx and agentx:
            argv += ["-x", "-X", configs.AGENTX_SOCKET]
        self._spawn(node.namespace, node.uts_holder, argv, d / "lldpd.pid", log=d / "lldpd.log")
        wait_until((d / "lldpd.socket").exists, 10, f"{node.name}: lldpd control socket")

    def lldp_neighbors(self, name: str) -> list[tuple[str, str, str]]:
        """(local port, neighbour system name, neighbour port) as the node's lldpd sees them."""
        node = self.nodes[name]
        out = node.exec(
            "lldpcli", "-u", str(node.dir / "lldpd.socket"), "-f", "keyvalue", "show", "neighbors"
        )
        fields: dict[str, dict[str, str]] = {}
        for line in out.stdout.splitlines():
            key, _, value = line.partition("=")
            parts = key.split(".")
            if len(parts) >= 3 and parts[0] == "lldp":
                fields.setdefault(parts[1], {})[".".join(parts[2:])] = value
        return sorted(
            (port, f.get("chassis.name", ""), f.get("port.ifname", f.get("port.descr", "")))
            for port, f in fields.items()
        )

    def _start_netconfd(self, node: Node, nc: NetconfService) -> None:
        d = node.dir
        startup = node.netconf_startup
        # --startup needs the file to exist, empty or not
        startup.write_text(nc.startup or configs.EMPTY_NETCONF_STARTUP)
        sock = d / "ncxserver.sock"
        argv = configs.netconfd_args(
            user=self.username,
            startup=startup,
            sock=sock,
            log=d / "netconfd.log",
            target=nc.target,
            with_startup=nc.with_startup,
        )
        # HOME: netconfd keeps a ~/.yuma directory; keep it in the node's directory, not /root.
        env = {"PATH": f"{self.dir / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(d)}
        self._spawn(
            node.namespace, node.uts_holder, argv, d / "netconfd.pid", env=env, log=d / "netconfd.out"
        )
        wait_until(sock.exists, 10, f"{node.name}: netconfd socket")

    # ---------------------------------------------------------------- helpers
    def _reap(self) -> None:
        # Only our own Popen children (netconfd, the UTS holders): never waitpid(-1), which
        # would steal exit statuses from other code in this process.
        for p in self._popen:
            p.poll()

    def _started(self) -> tuple[_Record, ipaddress.IPv4Network]:
        if self._record is None or self._net is None:
            raise RuntimeError("NetnsLab.start() first")
        return self._record, self._net

    def _save(self) -> None:
        assert self._record is not None
        self._registry.mkdir(parents=True, exist_ok=True)
        path = self._registry / f"{self._record.prefix}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self._record.to_json())
        tmp.replace(path)

    def _track(self, pidfile: Path) -> None:
        assert self._record is not None
        self._record.pidfiles.append(str(pidfile))
        self._save()

    def _spawn(
        self,
        ns: str,
        holder: int,
        argv: list[str],
        pidfile: Path,
        env: dict[str, str] | None = None,
        log: Path | None = None,
    ) -> int:
        """Start a foreground process inside the node and record its pid in ``pidfile``."""
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
        try:
            proc = subprocess.Popen(
                _in_node(ns, holder, argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # a Ctrl-C in the test run does not hit the daemons first
            )
        finally:
            if log:
                out.close()  # type: ignore[union-attr]
        pidfile.write_text(f"{proc.pid}\n")
        self._popen.append(proc)
        self._track(pidfile)
        return proc.pid


def _ns_tcp_listening(ns: str, port: int) -> bool:
    """True once something in namespace ``ns`` listens on TCP ``port`` (read from its /proc)."""
    return ns_listening(ns, port, "tcp")


def ns_listening(ns: str, port: int, proto: str = "tcp") -> bool:
    """True once a socket in namespace ``ns`` listens on ``proto`` (tcp|udp) ``port``: read
    from the namespace's own /proc/net, so no packet is sent."""
    res = run(["ip", "netns", "exec", ns, "cat", f"/proc/net/{proto}"], check=False)
    want = f":{port:04X}"
    for line in res.stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) > 3 and parts[1].endswith(want) and (proto == "udp" or parts[3] == "0A"):
            return True
    return False


def _set_node_hostname(ns: str, holder: int, hostname: str) -> None:
    """Name the node's UTS namespace, and never the host's.

    The holder is ``ip netns exec`` -> ``unshare --uts`` -> ``sleep``; until ``unshare`` has
    run, joining the holder's UTS namespace would join the host's and ``hostname`` would rename
    the machine. So wait until the holder is ``sleep`` in a UTS namespace that is not ours, and
    check the host's name afterwards all the same.
    """
    mine = os.readlink("/proc/self/ns/uts")

    def own_uts() -> bool:
        try:
            comm = Path(f"/proc/{holder}/comm").read_text().strip()
            return comm == "sleep" and os.readlink(f"/proc/{holder}/ns/uts") != mine
        except OSError:
            return False

    wait_until(own_uts, 10, f"{ns}: its own UTS namespace")
    before = socket.gethostname()
    run(_in_node(ns, holder, ["hostname", hostname]))
    if socket.gethostname() != before:
        socket.sethostname(before)
        raise LabCommandError(f"{ns}: setting the node's hostname renamed the host; restored {before!r}")


def _free_slash24(attempts: int = 200) -> ipaddress.IPv4Network:
    """A random 10.x.y.0/24 that overlaps nothing routed on the host (other labs included)."""
    used = [ipaddress.ip_network(n, strict=False) for n in host_ipv4_networks()]
    for _ in range(attempts):
        cand = ipaddress.IPv4Network(f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.0/24")
        if not any(cand.overlaps(u) for u in used if u.prefixlen > 0):
            return cand
    raise LabCommandError("no free 10.x.y.0/24 for the lab")


def _pids_of(rec: _Record) -> list[int]:
    pids = [p for p in (read_pidfile(Path(f)) for f in rec.pidfiles) if p]
    for ns in rec.namespaces:
        if ns in netns_list():
            # Whatever else runs in our own namespaces: per-connection sshd children, vtysh and
            # netconf-subsystem sessions a test left open.
            pids += netns_pids(ns)
    return pids


def _teardown(rec: _Record, keep_files: bool = False, reap: Callable[[], None] | None = None) -> None:
    terminate(_pids_of(rec), reap=reap)
    terminate(_pids_of(rec), grace_s=1.0, reap=reap)  # anything a dying daemon forked meanwhile
    existing = set(netns_list())
    for ns in rec.namespaces:
        if ns in existing:
            # Deleting the namespace destroys its veths and so their host-side peers.
            run(["ip", "netns", "del", ns], check=False)
    for link in rec.links:
        if link_exists(link):
            run(["ip", "link", "del", link], check=False)
    if rec.user and user_exists(rec.user):
        with suppress(LabCommandError):
            delete_user(rec.user)
    if not keep_files and rec.dir and Path(rec.dir).exists():
        shutil.rmtree(rec.dir, ignore_errors=True)


def _leftovers(rec: _Record) -> list[str]:
    left = []
    for f in rec.pidfiles:
        pid = read_pidfile(Path(f))
        if pid and pid_alive(pid):
            left.append(f"process {pid} ({Path(f).name})")
    names = set(netns_list())
    left += [f"namespace {ns}" for ns in rec.namespaces if ns in names]
    links = set(host_links())
    left += [f"link {link}" for link in rec.links if link in links]
    if rec.user and user_exists(rec.user):
        left.append(f"user {rec.user}")
    return left


def reap_stale(registry: Path = REGISTRY) -> list[str]:
    """Tear down labs whose owner process is gone (a killed test run). Returns their prefixes."""
    reaped: list[str] = []
    if not registry.exists():
        return reaped
    for path in sorted(registry.glob("*.json")):
        try:
            rec = _Record.from_json(path.read_text())
        except (OSError, ValueError, TypeError):
            continue
        alive = pid_alive(rec.owner_pid) and start_time(rec.owner_pid) == rec.owner_start
        if alive:
            continue
        _teardown(rec)
        if not _leftovers(rec):
            path.unlink(missing_ok=True)
        reaped.append(rec.prefix)
    return reaped


def check_clean(prefix: str) -> list[str]:
    """Anything on the host that carries a lab run's ``prefix`` (namespaces, links, user)."""
    left = [f"namespace {ns}" for ns in netns_list() if ns.startswith(f"{prefix}-")]
    left += [f"link {link}" for link in host_links() if link.startswith(f"{prefix}m")]
    if user_exists(f"{prefix}u"):
        left.append(f"user {prefix}u")
    return left


@contextmanager
def netns_lab(*, prefix: str | None = None, root: Path | None = None) -> Iterator[NetnsLab]:
    """``with netns_lab() as lab:`` (a pytest fixture can ``with`` it around its ``yield``)."""
    with NetnsLab(prefix=prefix, root=root) as lab:
        yield lab


def wait_for_ports(node: Node, timeout: float = 10.0) -> None:
    for port in (p for p in (node.netconf_port, node.vtysh_port) if p is not None):
        wait_until(partial(tcp_open, node.address, port), timeout, f"{node.name}:{port}")


__all__ = [
    "FrrService",
    "LabLeftovers",
    "LldpService",
    "NetconfService",
    "NetnsLab",
    "Node",
    "SnmpService",
    "check_clean",
    "netns_lab",
    "ns_listening",
    "reap_stale",
    "wait_for_ports",
]
