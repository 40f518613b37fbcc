"""inventory add | import | list | show | remove."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from agent.cli.core import CommandError, context
from agent.importers import ImportError_, ImportPlan, credentials_from_mapping, load_inventory_file
from agent.output import emit, format_option
from inventory.choices import IfStatus, SnmpAuthProto, SnmpPrivProto
from inventory.domain import InventoryHost, SnmpCredentials
from inventory.models import Device, Interface, InterfaceSample
from inventory.store import InventoryError, device_by_name, import_hosts, set_mgmt_paths, upsert_host


@click.group()
def inventory() -> None:
    """Devices the agent manages."""


@inventory.command("add")
@click.argument("name")
@click.option("--host", required=True, help="Address the agent polls.")
@click.option("--port", type=int, default=161, show_default=True, help="SNMP port.")
@click.option("--platform", default="", help="Platform (e.g. arista_eos, nokia_srlinux).")
@click.option("--role", default="")
@click.option("--site", default="")
@click.option("--poll-interval", type=int, default=None, help="Seconds between polls (default: global).")
@click.option("--snmp-community", envvar="OSSAGENT_SNMP_COMMUNITY", default=None, help="SNMP v2c community.")
@click.option("--snmp-user", default=None, help="SNMPv3 user (authPriv).")
@click.option("--snmp-auth-proto", type=click.Choice([p.value for p in SnmpAuthProto]), default="sha")
@click.option("--snmp-auth-key", envvar="OSSAGENT_SNMP_AUTH_KEY", default=None)
@click.option("--snmp-priv-proto", type=click.Choice([p.value for p in SnmpPrivProto]), default="aes")
@click.option("--snmp-priv-key", envvar="OSSAGENT_SNMP_PRIV_KEY", default=None)
@click.option("--snmp-profile", default=None, help="Use (or name) a shared SNMP credentials profile.")
@click.option("--via", default=None, help="Devices the agent reaches this one through (comma-separated).")
def inventory_add(
    name: str,
    host: str,
    port: int,
    platform: str,
    role: str,
    site: str,
    poll_interval: int | None,
    snmp_community: str | None,
    snmp_user: str | None,
    snmp_auth_proto: str,
    snmp_auth_key: str | None,
    snmp_priv_proto: str,
    snmp_priv_key: str | None,
    snmp_profile: str | None,
    via: str | None,
) -> None:
    """Add or update a device (SNMP v2c with --snmp-community, or v3 authPriv with --snmp-user)."""
    if snmp_community and snmp_user:
        raise CommandError("give either --snmp-community (v2c) or --snmp-user (v3), not both")
    creds: SnmpCredentials | None = None
    try:
        if snmp_community:
            creds = SnmpCredentials.v2c(snmp_community)
        elif snmp_user:
            creds = SnmpCredentials.v3(
                snmp_user,
                snmp_auth_key or "",
                snmp_priv_key or "",
                SnmpAuthProto(snmp_auth_proto),
                SnmpPrivProto(snmp_priv_proto),
            )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if creds is None and not snmp_profile:
        raise CommandError("SNMP credentials needed: --snmp-community, --snmp-user ..., or --snmp-profile")
    if poll_interval is not None and poll_interval < 5:
        raise CommandError("--poll-interval must be at least 5 seconds")
    entry = InventoryHost(
        name=name,
        host=host,
        snmp_port=port,
        platform=platform,
        role=role,
        site=site,
        snmp_profile=snmp_profile,
        snmp=creds,
    )
    ctx = context()
    try:
        with ctx.begin() as s:
            device, created = upsert_host(s, entry)
            if poll_interval is not None:
                device.poll_interval_s = poll_interval
            if via is not None:
                set_mgmt_paths(s, device, tuple(v.strip() for v in via.split(",") if v.strip()))
    except InventoryError as exc:
        raise CommandError(str(exc)) from exc
    click.echo(f"{'added' if created else 'updated'} {name} ({host}:{port})")


def _lab_resolver(path: Path) -> ImportPlan:
    """A containerlab topology: import the running lab's nodes (their real addresses)."""
    from lab import engine as lab_engine

    s = context().settings
    try:
        state = lab_engine.resolve(s.lab_dir, topology_path=path)
    except lab_engine.LabError as exc:
        raise ImportError_(str(exc)) from exc
    hosts, profiles = lab_engine.hosts(state)
    return ImportPlan(
        "containerlab",
        hosts=hosts,
        profiles={n: credentials_from_mapping(p, f"lab profile {n}") for n, p in profiles.items()},
    )


@inventory.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option
def inventory_import(file: Path, fmt: str) -> None:
    """Import devices from a Nornir hosts.yaml, a containerlab topology, or containerlab's
    generated nornir-simple-inventory.yml / ansible-inventory.yml."""
    try:
        plan = load_inventory_file(file.resolve(), _lab_resolver)
    except ImportError_ as exc:
        raise CommandError(str(exc)) from exc
    ctx = context()
    try:
        with ctx.begin() as s:  # all or nothing
            results = import_hosts(s, plan.hosts, plan.profiles)
        rows = [
            {
                "device": r.device,
                "host": r.host,
                "profile": r.profile,
                "action": "added" if r.created else "updated",
            }
            for r in results
        ]
    except InventoryError as exc:
        raise CommandError(f"{file}: {exc} (nothing imported)") from exc
    emit(rows, fmt, ["device", "host", "profile", "action"])


def _device_row(d: Device, up: int, total: int) -> dict[str, Any]:
    return {
        "name": d.name,
        "host": d.host,
        "port": d.snmp_port,
        "platform": d.platform,
        "role": d.role,
        "site": d.site.name if d.site else "",
        "status": d.status.value,
        "sys_name": d.sys_name,
        "uptime_s": (d.uptime_ticks or 0) // 100 if d.uptime_ticks is not None else None,
        "interfaces_up": up,
        "interfaces": total,
        "last_polled": d.last_polled,
    }


@inventory.command("list")
@format_option
def inventory_list(fmt: str) -> None:
    """List devices with status."""
    ctx = context()
    with ctx.begin() as s:
        counts = dict(
            s.execute(
                select(Interface.device_id, func.count())
                .where(Interface.present.is_(True))
                .group_by(Interface.device_id)
            ).all()
        )
        ups = dict(
            s.execute(
                select(Interface.device_id, func.count())
                .where(Interface.present.is_(True), Interface.oper_status == IfStatus.UP)
                .group_by(Interface.device_id)
            ).all()
        )
        rows = [
            _device_row(d, ups.get(d.id, 0), counts.get(d.id, 0))
            for d in s.scalars(select(Device).order_by(Device.name))
        ]
    emit(
        rows,
        fmt,
        ["name", "host", "port", "platform", "role", "status", "interfaces_up", "interfaces", "last_polled"],
    )


@inventory.command("show")
@click.argument("name")
@format_option
def inventory_show(name: str, fmt: str) -> None:
    """One device: system, hardware, interfaces with status, counters and rates."""
    ctx = context()
    with ctx.begin() as s:
        d = device_by_name(s, name)
        if d is None:
            raise CommandError(f"no device named {name!r}")
        present = [i for i in d.interfaces if i.present]
        last = {
            smp.interface_id: smp
            for smp in s.scalars(
                select(InterfaceSample).where(
                    InterfaceSample.id.in_([i.last_sample_id for i in present if i.last_sample_id])
                )
            )
        }
        doc = _device_row(d, sum(1 for i in present if i.oper_status is IfStatus.UP), len(present))
        doc.update(
            sys_descr=d.sys_descr,
            sys_object_id=d.sys_object_id,
            sys_location=d.sys_location,
            sys_contact=d.sys_contact,
            snmp_profile=d.snmp_profile.name if d.snmp_profile else "",
            last_seen=d.last_seen,
            last_error=d.last_error,
        )
        hardware = [
            {
                "index": c.ent_index,
                "class": c.phys_class.name.lower(),
                "name": c.name,
                "model": c.model,
                "serial": c.serial,
                "descr": c.descr,
            }
            for c in d.components
        ]
        interfaces = []
        for i in present:
            smp = last.get(i.id)
            interfaces.append(
                {
                    "if_index": i.if_index,
                    "name": i.name,
                    "alias": i.alias,
                    "admin": i.admin_status.label,
                    "oper": i.oper_status.label,
                    "speed_mbps": i.speed_bps // 1_000_000,
                    "in_octets": smp.in_octets if smp else None,
                    "out_octets": smp.out_octets if smp else None,
                    "in_bps": i.in_bps,
                    "out_bps": i.out_bps,
                    "util_in_pct": i.utilisation_in,
                    "util_out_pct": i.utilisation_out,
                }
            )
    if fmt == "json":
        emit({**doc, "hardware": hardware, "interfaces": interfaces}, fmt)
        return
    emit(doc, fmt)
    click.echo("\nhardware:")
    emit(hardware, fmt, ["index", "class", "name", "model", "serial"])
    click.echo("\ninterfaces:")
    emit(
        interfaces,
        fmt,
        [
            "if_index",
            "name",
            "admin",
            "oper",
            "speed_mbps",
            "in_octets",
            "out_octets",
            "in_bps",
            "out_bps",
            "alias",
        ],
    )


@inventory.command("remove")
@click.argument("name")
def inventory_remove(name: str) -> None:
    """Remove a device and everything learned about it."""
    ctx = context()
    with ctx.begin() as s:
        d = device_by_name(s, name)
        if d is None:
            raise CommandError(f"no device named {name!r}")
        s.delete(d)
    click.echo(f"removed {name}")


COMMANDS = [inventory]
