"""Configuration text for the daemons of a netns lab node (pure functions, see LAB.md §3-4).

Each node gets its own directory; every path a daemon would default to (/etc/frr,
/var/run/frr, /tmp/ncxserver.sock, /etc/ssh) is given explicitly, so nodes of one lab, and
labs of parallel runs, never share a socket, a PID file or a key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

# Debian 12's netconfd-module-ietf-interfaces popen()s `get-interface-ipv4 <ifname>` but does
# not ship it; without it netconfd dies on its first state poll (LAB.md §4.1, §4.3 quirk 2).
# netconfd parses its stdout as an ietf-ip <ipv4> subtree.
GET_INTERFACE_IPV4 = """\
#!/bin/sh
ips=$(ip -4 -o addr show dev "$1" 2>/dev/null | awk '{print $4}')
[ -z "$ips" ] && exit 0
printf '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">'
for c in $ips; do printf '<address><ip>%s</ip><prefix-length>%s</prefix-length></address>' "${c%/*}" "${c#*/}"; done
printf '</ipv4>\\n'
"""

EMPTY_NETCONF_STARTUP = '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>\n'


def netconf_startup_with_ports(ports: Sequence[str]) -> str:
    """A startup datastore that lists the node's ports in ietf-interfaces, as a router's running
    config lists its physical ports. yuma123's ietf-interfaces module runs ``ifconfig NAME down``
    when an interface *entry* is deleted (LAB.md §4.3): with the ports present from the start,
    a service only merges leaves into an entry and removing the service removes only those
    leaves, so the port stays up."""
    if not ports:
        return EMPTY_NETCONF_STARTUP
    entries = "".join(
        f"<interface><name>{escape(p)}</name>"
        '<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd</type>'
        "<enabled>true</enabled></interface>"
        for p in ports
    )
    return (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        f'<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">{entries}</interfaces>'
        "</config>\n"
    )


def sshd_config(
    *,
    listen: str,
    host_key: Path,
    pid_file: Path,
    user: str,
    vtysh_port: int | None,
    netconf_port: int | None,
    ncxserver_sock: Path | None,
    vty_dir: Path | None,
) -> str:
    """One sshd per node: ``vtysh_port`` logs straight into the node's vtysh (ForceCommand),
    ``netconf_port`` serves the netconf subsystem (netconf-subsystem -> netconfd's socket)."""
    lines = [f"Port {p}" for p in (vtysh_port, netconf_port) if p is not None]
    lines += [
        f"ListenAddress {listen}",
        f"HostKey {host_key}",
        f"PidFile {pid_file}",
        "PasswordAuthentication yes",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication no",
        "PermitRootLogin no",
        "UsePAM no",
        f"AllowUsers {user}",
        "UseDNS no",
        # A motd or last-login banner would land in the first CLI read.
        "PrintMotd no",
        "PrintLastLog no",
        "X11Forwarding no",
        "AllowTcpForwarding no",
        # Tests open several sessions at once (lock contention, a second session confirming).
        "MaxStartups 64",
        "MaxSessions 64",
        "LoginGraceTime 30",
    ]
    if netconf_port is not None:
        assert ncxserver_sock is not None
        # netconf-subsystem picks the socket by the server port in SSH_CONNECTION.
        lines.append(
            f'Subsystem netconf "/usr/sbin/netconf-subsystem --ncxserver-sockname={netconf_port}@{ncxserver_sock}"'
        )
    if vtysh_port is not None:
        assert vty_dir is not None
        lines += [
            f"Match LocalPort {vtysh_port}",
            f"    ForceCommand /usr/bin/vtysh --vty_socket {vty_dir} --config_dir {vty_dir}",
        ]
    return "\n".join(lines) + "\n"


def frr_conf(hostname: str, interfaces: dict[str, str]) -> str:
    """The integrated config pushed with ``vtysh -b`` at start (``interfaces``: name -> description)."""
    out = ["frr defaults traditional", f"hostname {hostname}", "service integrated-vtysh-config", "!"]
    for name, descr in interfaces.items():
        out += [f"interface {name}", f" description {descr}", "exit", "!"]
    return "\n".join(out) + "\n"


# FRR daemons that ship an AgentX module (frr-snmp): zebra (IF-MIB bits), ospfd, bgpd.
FRR_SNMP_DAEMONS = ("zebra", "ospfd", "bgpd")


def frr_daemon_args(daemon: str, node_dir: Path, *, snmp: bool = False) -> list[str]:
    """argv for one FRR daemon with every path under ``node_dir`` (LAB.md §3.1); ``snmp`` loads
    the AgentX module where the daemon has one (its config says ``agentx``)."""
    modules = ["-M", "snmp"] if snmp and daemon in FRR_SNMP_DAEMONS else []
    return [
        f"/usr/lib/frr/{daemon}",
        "-d",
        "-u",
        "frr",
        "-g",
        "frr",
        "--vty_socket",
        str(node_dir),
        "-A",
        "127.0.0.1",
        "-z",
        str(node_dir / "zserv.api"),
        # -f /dev/null: never read /etc/frr; the real config comes from `vtysh -b`.
        "-f",
        "/dev/null",
        "--log",
        f"file:{node_dir / 'daemons.log'}",
        "-i",
        str(node_dir / f"{daemon}.pid"),
        *modules,
    ]


def netconfd_args(
    *,
    user: str,
    startup: Path,
    sock: Path,
    log: Path,
    target: str,
    with_startup: bool,
) -> list[str]:
    args = [
        "/usr/sbin/netconfd",
        "--module=ietf-interfaces",
        "--module=ietf-ip",
        # The lab user bypasses NACM (behaviour without it is untested, LAB.md §4.3 quirk 7).
        f"--superuser={user}",
        f"--startup={startup}",
        f"--ncxserver-sockname={sock}",
        f"--log={log}",
        "--log-level=info",
        f"--target={target}",
    ]
    if with_startup:
        args.append("--with-startup=true")
    return args


# ------------------------------------------------------------------ Net-SNMP snmpd (LAB.md §2.2, §3.5)
IF_MIB_IFINDEX = ".1.3.6.1.2.1.2.2.1.1"
IF_MIB_ADMIN = ".1.3.6.1.2.1.2.2.1.7"
IF_MIB_OPER = ".1.3.6.1.2.1.2.2.1.8"
LINK_DOWN = ".1.3.6.1.6.3.1.1.5.3"
LINK_UP = ".1.3.6.1.6.3.1.1.5.4"
AGENTX_SOCKET = "tcp:127.0.0.1:705"  # every namespace has its own 127.0.0.1 (LAB.md §3.5)

_SNMP_AUTH = {"sha": "SHA", "sha256": "SHA-256", "md5": "MD5", "sha512": "SHA-512"}
_SNMP_PRIV = {"aes": "AES", "aes128": "AES", "aes256": "AES-256", "des": "DES"}


def _q(text: str) -> str:
    """A quoted snmpd.conf token (keys may hold spaces; quotes and backslashes are refused)."""
    if '"' in text or "\\" in text or "\n" in text:
        raise ValueError("SNMP secrets for the netns lab must not contain quotes, backslashes or newlines")
    return f'"{text}"'


def snmpd_conf(
    *,
    sys_name: str,
    sys_descr: str,
    location: str,
    communities: list[str],
    v3_users: list[dict[str, str]],
    trap_targets: list[tuple[str, int]],
    trap_community: str,
    monitor_interval_s: int = 2,
    agentx: bool = True,
    engine_id: str = "",
    trap_v3_user: dict[str, str] | None = None,
) -> str:
    """snmpd.conf for one node. ``v3_users``: dicts with user, auth_proto, auth_key, priv_proto,
    priv_key (the lab's credential profiles). Traps go to ``trap_targets`` as v2c, or as v3
    authPriv from ``trap_v3_user`` (one of those dicts) when given; linkUp/Down
    come from DisMan monitors polling ifOperStatus every ``monitor_interval_s`` (the built-in
    ``linkUpDownNotifications`` polls only every 60 s)."""
    out = [
        # ns-private: every node answers on :161 of all its own addresses.
        "agentAddress udp:161",
        f"sysName {sys_name}",
        f"sysDescr {sys_descr}",
        f"sysLocation {location}",
        "sysContact lab@example.org",
        "sysServices 72",
        "dontLogTCPWrappersConnects yes",
    ]
    if engine_id:
        out.append(f"exactEngineID 0x{engine_id}")
    if agentx:
        # FRR's bgpd/ospfd/zebra join as AgentX subagents (BGP4-MIB, OSPF-MIB).
        out += ["master agentx", f"agentXSocket {AGENTX_SOCKET}"]
    out += [f"rocommunity {_q(c)} default" for c in communities]
    for u in v3_users:
        auth = _SNMP_AUTH[u["auth_proto"].lower()]
        priv = _SNMP_PRIV[u["priv_proto"].lower()]
        out += [
            f"createUser {u['user']} {auth} {_q(u['auth_key'])} {priv} {_q(u['priv_key'])}",
            f"rouser {u['user']} authpriv",
        ]
    out += [
        # The DisMan event monitor queries the agent itself as this user.
        "createUser internal",
        "rouser internal noauth",
        "iquerySecName internal",
    ]
    if trap_targets and (not trap_community or re.search(r"[\s\"'\\]", trap_community)):
        # trap2sink takes the community as a bare word: quotes would be sent literally.
        raise ValueError("the trap community must be one word without quotes or backslashes")
    if trap_v3_user:
        # SNMPv3 authPriv traps from this node's own engine (the agent localises the user's
        # keys to it), as a v3-managed device sends them.
        u = trap_v3_user
        out += [
            f"trapsess -v 3 -u {u['user']} -l authPriv -a {_SNMP_AUTH[u['auth_proto'].lower()]} "
            f"-A {_q(u['auth_key'])} -x {_SNMP_PRIV[u['priv_proto'].lower()]} -X {_q(u['priv_key'])} {host}:{port}"
            for host, port in trap_targets
        ]
    else:
        out += [f"trap2sink {host}:{port} {trap_community}" for host, port in trap_targets]
    varbinds = f"{IF_MIB_IFINDEX} {IF_MIB_ADMIN} {IF_MIB_OPER}"
    out += [
        f"notificationEvent oaLinkUp {LINK_UP} {varbinds}",
        f"notificationEvent oaLinkDown {LINK_DOWN} {varbinds}",
        f'monitor -r {monitor_interval_s} -e oaLinkUp "linkUp" {IF_MIB_OPER} != 2',
        f'monitor -r {monitor_interval_s} -e oaLinkDown "linkDown" {IF_MIB_OPER} == 2',
    ]
    return "\n".join(out) + "\n"


def snmpd_args(conf: Path, log: Path) -> list[str]:
    # -f: stay in the foreground, so the pid we spawn is snmpd's; -C: never read /etc/snmp.
    return ["/usr/sbin/snmpd", "-f", "-C", "-c", str(conf), "-Lf", str(log)]


# ------------------------------------------------------------------ FRR routing
def frr_routing_conf(
    *,
    hostname: str,
    router_id: str,
    interfaces: dict[str, str],
    p2p_interfaces: list[str],
    ospf_networks: list[str],
    passive: list[str],
    asn: int | None,
    bgp_neighbors: list[tuple[str, int]],
    agentx: bool,
    ospf: bool,
) -> str:
    """The integrated frr.conf of a lab router: interface descriptions, OSPF area 0 on the
    links (point-to-point, so adjacencies come up in ~10 s instead of ~40 s, LAB.md §3.1), eBGP
    to linked neighbours without policy (``no bgp ebgp-requires-policy``: FRR 8 drops every
    route otherwise)."""
    out = ["frr defaults traditional", f"hostname {hostname}", "service integrated-vtysh-config"]
    if agentx:
        out.append("agentx")
    out.append("!")
    for name, descr in interfaces.items():
        out += [f"interface {name}", f" description {descr}"]
        if ospf and name in p2p_interfaces:
            out.append(" ip ospf network point-to-point")
        out += ["exit", "!"]
    if ospf:
        out += ["router ospf", f" ospf router-id {router_id}"]
        out += [f" passive-interface {p}" for p in passive]
        out += [f" network {n} area 0" for n in ospf_networks]
        out += ["exit", "!"]
    if asn is not None:
        out += [f"router bgp {asn}", f" bgp router-id {router_id}", " no bgp ebgp-requires-policy"]
        out += [f" neighbor {addr} remote-as {remote}" for addr, remote in bgp_neighbors]
        out += ["exit", "!"]
    return "\n".join(out) + "\n"
