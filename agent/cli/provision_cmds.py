"""provision apply | rollback | list | show, and config backup | versions | diff | show | drift."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click
import yaml
from sqlalchemy import select

from agent.cli.core import CommandError, context
from agent.context import Context
from agent.output import emit, format_option
from agent.provisioning.drift import apply_drift, find_drift, fragments_of
from agent.provisioning.executor import Executor
from agent.provisioning.jobs import backup_device
from agent.runtime import Runtime
from bss_bridge.provisioning import submit, submit_many, submit_rollback
from inventory.models import Device
from inventory.provisioning_models import ConfigVersion, Transaction
from provisioners.diff.cli import unified_diff
from provisioners.services.catalog import ServiceError


def _tx_doc(ctx: Context, tx_id: str) -> dict[str, Any]:
    with ctx.begin() as s:
        tx = s.get(Transaction, tx_id)
        if tx is None:
            raise CommandError(f"no transaction {tx_id}")
        return {
            "id": tx.id,
            "state": tx.state.value,
            "dry_run": tx.dry_run,
            "action": tx.action.value if tx.action else None,
            "service": (tx.request or {}).get("model"),
            "origin": tx.origin,
            "created_by": tx.created_by,
            "created_at": tx.created_at,
            "finished_at": tx.finished_at,
            "error": tx.error,
            "devices": [
                {
                    "device": td.device.name,
                    "driver": td.driver,
                    "state": td.state.value,
                    "error": td.error,
                    "change": td.payload,
                    "diff": td.diff,
                }
                for td in tx.devices
            ],
            "log": [{"at": e.at, "device": e.device, "level": e.level, "message": e.message} for e in tx.log],
        }


def _show_tx(doc: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        emit(doc, fmt)
        return
    click.echo(f"transaction {doc['id']}: {doc['state']}" + (f" ({doc['error']})" if doc["error"] else ""))
    for d in doc["devices"]:
        click.echo(
            f"\n--- {d['device']} ({d['driver']}): {d['state']}" + (f": {d['error']}" if d["error"] else "")
        )
        click.echo(d["diff"] or d["change"])
    click.echo("\nlog:")
    for e in doc["log"]:
        click.echo(f"  {e['at']:%H:%M:%S} {e['device'] or '-':<8} {e['message']}")


def _execute(ctx: Context, tx_id: str, fmt: str) -> None:
    state = Executor(ctx).run(tx_id)
    _show_tx(_tx_doc(ctx, tx_id), fmt)
    if state.value not in ("done", "dry-run"):
        sys.exit(1)


@click.group()
def provision() -> None:
    """Service provisioning: transactions across devices, all or nothing."""


@provision.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show each device's diff and change nothing.")
@click.option("--force", is_flag=True, help="Proceed although a device has drifted.")
@format_option
def provision_apply(file: Path, dry_run: bool, force: bool, fmt: str) -> None:
    """Apply a service request (YAML: service, action, params), or several as one transaction
    (YAML: services: [...], optional confirm_timeout): every device commits or none does."""
    try:
        request = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        raise CommandError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(request, dict):
        raise CommandError(f"{file}: expected a mapping (service, action, params) or services: [...]")
    ctx = context()
    user = getpass.getuser()
    try:
        with ctx.begin() as s:
            if "services" in request:
                many = request["services"]
                if not isinstance(many, list) or not all(isinstance(r, dict) for r in many):
                    raise CommandError(f"{file}: services must be a list of service requests")
                tx = submit_many(s, many, user=user, origin="cli", dry_run=dry_run, force=force,
                                 confirm_timeout=request.get("confirm_timeout"))  # fmt: skip
            else:
                tx = submit(s, request, user=user, origin="cli", dry_run=dry_run, force=force)
            tx_id = tx.id
    except ServiceError as exc:
        raise CommandError(
            "the request was refused:\n" + "\n".join(f"  {k}: {v}" for k, v in exc.errors.items())
        ) from exc
    _execute(ctx, tx_id, fmt)


@provision.command("rollback")
@click.argument("tx_id")
@click.option("--dry-run", is_flag=True)
@format_option
def provision_rollback(tx_id: str, dry_run: bool, fmt: str) -> None:
    """Undo a past transaction with a new one."""
    ctx = context()
    try:
        with ctx.begin() as s:
            new_id = submit_rollback(s, tx_id, getpass.getuser(), dry_run).id
    except ServiceError as exc:
        raise CommandError(str(exc)) from exc
    _execute(ctx, new_id, fmt)


@provision.command("list")
@click.option("--limit", type=int, default=30, show_default=True)
@format_option
def provision_list(limit: int, fmt: str) -> None:
    with context().begin() as s:
        rows = [
            {
                "id": t.id,
                "state": t.state.value,
                "action": t.action.value if t.action else "",
                "origin": t.origin,
                "devices": len(t.devices),
                "created": t.created_at,
                "error": t.error[:60],
            }
            for t in s.scalars(select(Transaction).order_by(Transaction.created_at.desc()).limit(limit))
        ]
    emit(rows, fmt, ["id", "state", "action", "origin", "devices", "created", "error"])


@provision.command("show")
@click.argument("tx_id")
@format_option
def provision_show(tx_id: str, fmt: str) -> None:
    _show_tx(_tx_doc(context(), tx_id), fmt)


@click.group()
def config() -> None:
    """Configuration backups, diffs and drift."""


def _device_ids(ctx: Context, name: str | None, all_: bool) -> list[tuple[int, str]]:
    from inventory.provisioning_models import ConfigAccess

    with ctx.begin() as s:
        q = select(Device.id, Device.name).join(ConfigAccess, ConfigAccess.device_id == Device.id)
        if not all_:
            if not name:
                raise CommandError("name a device or use --all")
            q = q.where(Device.name == name)
        rows = [(int(i), str(n)) for i, n in s.execute(q.order_by(Device.name))]
    if not rows:
        raise CommandError(
            f"no device {name!r} with configuration access" if name else "no device has configuration access"
        )
    return rows


@config.command("backup")
@click.argument("name", required=False)
@click.option("--all", "all_", is_flag=True)
def config_backup(name: str | None, all_: bool) -> None:
    ctx = context()
    rt = Runtime(ctx)
    failed = False
    try:
        for device_id, device in _device_ids(ctx, name, all_):
            try:
                _, note = backup_device(rt, device_id, "on-demand")
                click.echo(f"{device}: {note}")
            except Exception as exc:
                failed = True
                click.echo(f"{device}: backup failed: {exc}", err=True)
    finally:
        rt.close()
    if failed:
        sys.exit(1)


def _versions(ctx: Context, name: str) -> list[ConfigVersion]:
    with ctx.begin() as s:
        device = s.scalar(select(Device).where(Device.name == name))
        if device is None:
            raise CommandError(f"no device {name!r}")
        rows = list(
            s.scalars(
                select(ConfigVersion).where(ConfigVersion.device_id == device.id).order_by(ConfigVersion.id)
            )
        )
        for r in rows:
            s.expunge(r)
        return rows


@config.command("versions")
@click.argument("name")
@format_option
def config_versions(name: str, fmt: str) -> None:
    rows = [
        {
            "version": v.id,
            "taken": v.taken_at,
            "source": v.source,
            "transaction": v.transaction_id or "",
            "digest": v.digest[:12],
        }
        for v in _versions(context(), name)
    ]
    emit(rows, fmt, ["version", "taken", "source", "transaction", "digest"])


@config.command("show")
@click.argument("name")
@click.option("--version", "version", type=int, default=None, help="default: the newest")
def config_show(name: str, version: int | None) -> None:
    versions = _versions(context(), name)
    if not versions:
        raise CommandError(f"no backup of {name} yet (ossagent config backup {name})")
    pick = next((v for v in versions if v.id == version), None) if version else versions[-1]
    if pick is None:
        raise CommandError(f"{name} has no version {version}")
    click.echo(pick.text, nl=False)


@config.command("diff")
@click.argument("name")
@click.option("--from", "v_from", type=int, default=None, help="default: the second newest")
@click.option("--to", "v_to", type=int, default=None, help="default: the newest")
def config_diff(name: str, v_from: int | None, v_to: int | None) -> None:
    versions = {v.id: v for v in _versions(context(), name)}
    ids = sorted(versions)
    if len(ids) < (0 if v_from and v_to else 2 - bool(v_from) - bool(v_to)) or not ids:
        raise CommandError(f"{name} needs two versions to diff (has {len(ids)})")
    a = versions.get(v_from or (ids[-2] if len(ids) > 1 else ids[0]))
    b = versions.get(v_to or ids[-1])
    if a is None or b is None:
        raise CommandError(f"{name} has versions {', '.join(map(str, ids))}")
    text = unified_diff(a.text, b.text, f"version {a.id}", f"version {b.id}")
    click.echo(text or "(no difference)")


@config.command("drift")
@click.argument("name", required=False)
@format_option
def config_drift(name: str | None, fmt: str) -> None:
    """Check devices now: running configuration against what their services own."""
    ctx = context()
    rt = Runtime(ctx)
    rows = []
    try:
        for device_id, device in _device_ids(ctx, name, name is None):
            ok, note = backup_device(rt, device_id, "on-demand")
            _ = ok, note, apply_drift, find_drift
            with ctx.begin() as s:
                newest = s.scalar(
                    select(ConfigVersion)
                    .where(ConfigVersion.device_id == device_id)
                    .order_by(ConfigVersion.id.desc())
                    .limit(1)
                )
                running = newest.text if newest else ""
            for d in find_drift(fragments_of(ctx, device_id), running):
                rows.append(
                    {
                        "device": device,
                        "service": d.service,
                        "missing": "; ".join(d.missing[:3]),
                        "added": "; ".join(d.added[:3]),
                    }
                )
    finally:
        rt.close()
    emit(rows, fmt, ["device", "service", "missing", "added"])
    if not rows and fmt != "json":
        click.echo("no drift")


COMMANDS = [provision, config]
