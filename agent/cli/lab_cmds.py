"""lab up | down | inspect | fault: the simulated (and later real) network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from agent.cli.core import CommandError, settings
from agent.output import emit, format_option
from lab import engine as lab_engine
from lab.topology import TopologyError

_topology_option = click.option(
    "-t",
    "--topo",
    "topology",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="containerlab topology file [default: the demo topology].",
)
_name_option = click.option("--name", default=None, help="Lab name (when several labs run).")


def _lab_root() -> Path:
    return settings().lab_dir


def _parse_endpoint(text: str) -> tuple[str, str]:
    node, sep, iface = text.partition(":")
    if not sep or not node or not iface:
        raise CommandError(f"expected NODE:INTERFACE, got {text!r}")
    return node, iface


def _fault(command: dict[str, Any], name: str | None) -> dict[str, Any]:
    try:
        return lab_engine.fault(_lab_root(), command, name)
    except lab_engine.LabError as exc:
        raise CommandError(str(exc)) from exc


@click.group()
def lab() -> None:
    """Simulated lab devices from a containerlab topology."""


@lab.command("up")
@_topology_option
@click.option(
    "--engine",
    type=click.Choice(lab_engine.ENGINES),
    default="sim",
    show_default=True,
    help="sim: simulated devices on loopback; netns: real FRR/snmpd/netconfd/sshd in network "
    "namespaces (root); containerlab: hand the file to containerlab (Docker).",
)
@click.option("--address-base", default=None, help="First three octets of the nodes' 127.x.y addresses.")
@click.option("--snmp-port", type=int, default=None, help="SNMP port [default: 161 as root, else 16100].")
@click.option("--workers", type=int, default=1, show_default=True, help="Simulator processes.")
@click.option("--trap-receiver", "receivers", multiple=True, help="HOST:PORT for traps (repeatable).")
@format_option
def lab_up(
    topology: Path | None,
    engine: str,
    address_base: str | None,
    snmp_port: int | None,
    workers: int,
    receivers: tuple[str, ...],
    fmt: str,
) -> None:
    """Start a lab (containerlab's 'deploy')."""
    path = (topology or lab_engine.DEFAULT_TOPOLOGY).resolve()
    targets = []
    for r in receivers:
        host, _, port = r.rpartition(":")
        if not host or not port.isdigit():
            raise CommandError(f"--trap-receiver wants HOST:PORT, got {r!r}")
        targets.append((host, int(port)))
    try:
        state = lab_engine.up(
            path,
            _lab_root(),
            engine=engine,
            address_base=address_base,
            snmp_port=snmp_port,
            workers=workers,
            trap_receivers=targets,
        )
    except (lab_engine.LabError, TopologyError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    _show(lab_engine.inspect(state), fmt)


@lab.command("down")
@_topology_option
@_name_option
def lab_down(topology: Path | None, name: str | None) -> None:
    """Stop a lab (containerlab's 'destroy')."""
    try:
        stopped = lab_engine.down(_lab_root(), name, topology.resolve() if topology else None)
    except lab_engine.LabError as exc:
        raise CommandError(str(exc)) from exc
    click.echo(f"lab {stopped} stopped")


def _show(doc: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        emit(doc, fmt)
        return
    click.echo(f"lab {doc['name']} ({doc['engine']}, pid {doc['pid']}) from {doc['topology']}")
    rows = [{**n, "interfaces": len(n["interfaces"])} for n in doc["nodes"]]
    columns = ["name", "kind", "role", "address", "snmp_port", "snmp_profile", "interfaces"]
    if any("runs" in n for n in doc["nodes"]):
        columns.append("runs")  # netns: what really runs (FRR router, or a stand-in for the kind)
    emit(rows, fmt, columns)
    renamed = [
        f"  {n['name']}: {topo} -> {linux}"
        for n in doc["nodes"]
        for topo, linux in n.get("ifname_map", {}).items()
        if topo != linux
    ]
    if renamed:
        click.echo("interface names Linux cannot use, as mapped in the namespaces:")
        click.echo("\n".join(renamed))


@lab.command("inspect")
@_name_option
@click.option("--all", "all_", is_flag=True, help="Every running lab.")
@format_option
def lab_inspect(name: str | None, all_: bool, fmt: str) -> None:
    """Show a running lab's nodes: addresses, SNMP ports and profiles, interfaces."""
    root = _lab_root()
    if all_:
        docs = [lab_engine.inspect(s) for s in lab_engine.running(root)]
        if fmt == "json":
            emit(docs, fmt)
        else:
            for d in docs:
                _show(d, fmt)
        return
    try:
        _show(lab_engine.inspect(lab_engine.resolve(root, name)), fmt)
    except lab_engine.LabError as exc:
        raise CommandError(str(exc)) from exc


@lab.group("fault")
def fault() -> None:
    """Inject faults into a running lab."""


@fault.command("link")
@click.argument("endpoint", metavar="NODE:INTERFACE")
@click.argument("state", type=click.Choice(["down", "up"]))
@_name_option
def fault_link(endpoint: str, state: str, name: str | None) -> None:
    """Cut or restore a link (both ends go oper-down, like a pulled cable)."""
    node, iface = _parse_endpoint(endpoint)
    reply = _fault({"op": "link", "node": node, "interface": iface, "state": state}, name)
    click.echo(f"{endpoint} {state}" + (f" ({reply['detail']})" if reply.get("detail") else ""))


@fault.command("node")
@click.argument("node")
@click.argument("state", type=click.Choice(["down", "up"]))
@_name_option
def fault_node(node: str, state: str, name: str | None) -> None:
    """Take a node down (it stops answering) or bring it back."""
    _fault({"op": "node", "node": node, "state": state}, name)
    click.echo(f"{node} {state}")


@fault.command("restart")
@click.argument("node")
@_name_option
def fault_restart(node: str, name: str | None) -> None:
    """Restart a node's agent: uptime and counters start again from zero."""
    _fault({"op": "restart", "node": node}, name)
    click.echo(f"{node} restarted")


@fault.command("counter-wrap")
@click.argument("endpoint", metavar="NODE:INTERFACE")
@click.option("--bits", type=click.Choice(["32", "64"]), default="32", show_default=True)
@click.option("--seconds", type=int, default=10, show_default=True, help="Wrap within this many seconds.")
@_name_option
def fault_counter_wrap(endpoint: str, bits: str, seconds: int, name: str | None) -> None:
    """Move an interface's octet counters just below their wrap point."""
    node, iface = _parse_endpoint(endpoint)
    _fault(
        {"op": "counter-wrap", "node": node, "interface": iface, "bits": int(bits), "seconds": seconds}, name
    )
    click.echo(f"{endpoint} counters wrap at {bits} bits within {seconds}s")


@fault.command("slow")
@click.argument("node")
@click.argument("delay_ms", type=int)
@_name_option
def fault_slow(node: str, delay_ms: int, name: str | None) -> None:
    """Delay every SNMP reply of a node (0 restores)."""
    _fault({"op": "slow", "node": node, "delay_ms": delay_ms}, name)
    click.echo(f"{node} replies delayed by {delay_ms} ms")


@fault.command("trap-storm")
@click.option("--rate", type=int, required=True, help="Traps per second.")
@click.option("--seconds", type=float, required=True)
@click.option("--node", default=None, help="One node sends (default: spread over all).")
@_name_option
def fault_trap_storm(rate: int, seconds: float, node: str | None, name: str | None) -> None:
    """Send a stream of linkDown/linkUp traps for load tests."""
    cmd: dict[str, Any] = {"op": "trap-storm", "rate": rate, "seconds": seconds}
    if node:
        cmd["node"] = node
    reply = _fault(cmd, name)
    click.echo(f"sent {reply.get('sent', '?')} traps")


@fault.command("latency")
@click.argument("node")
@click.argument("delay_ms", type=float)
@_name_option
def fault_latency(node: str, delay_ms: float, name: str | None) -> None:
    """Delay everything a node sends on its interfaces, management included (netns: tc netem,
    or an NFQUEUE delay where the kernel has no netem). 0 removes the delay."""
    reply = _fault({"op": "latency", "node": node, "ms": delay_ms}, name)
    click.echo(
        f"{node} egress delayed by {delay_ms:g} ms" + (f" ({reply['via']})" if reply.get("via") else "")
    )


@fault.command("loss")
@click.argument("node")
@click.argument("pct", type=float)
@_name_option
def fault_loss(node: str, pct: float, name: str | None) -> None:
    """Drop PCT percent of what a node sends on its interfaces (netns engine). 0 removes it."""
    reply = _fault({"op": "loss", "node": node, "pct": pct}, name)
    click.echo(f"{node} drops {pct:g}% of its egress" + (f" ({reply['via']})" if reply.get("via") else ""))


@fault.command("clear")
@_name_option
def fault_clear(name: str | None) -> None:
    """Undo every link, node, latency and loss fault (netns engine)."""
    _fault({"op": "clear"}, name)
    click.echo("faults cleared")


lab.add_command(lab_up, "deploy")
lab.add_command(lab_down, "destroy")

COMMANDS = [lab]
