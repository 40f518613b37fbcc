"""alarms | events | maintenance | hub: fault management from the command line."""

from __future__ import annotations

import getpass
from typing import Any

import click
from sqlalchemy import select

from agent.cli.core import CommandError, context
from agent.outbox import signing_key
from agent.output import emit, format_option
from bss_bridge.tmf.alarm import to_tmf
from inventory import alarm_ops, queries_alarms
from inventory.choices import AlarmState
from inventory.fault_models import Alarm, HubSubscription, MaintenanceWindow
from inventory.hub import HubError, parse_networks, register
from inventory.queries_maintenance import list_windows
from inventory.types import utcnow

SYSTEM = "ossagent-cli"


def _user(user: str | None) -> str:
    return user or getpass.getuser()


def _alarm_row(a: Alarm) -> dict[str, Any]:
    return {
        "id": a.id,
        "severity": a.perceived_severity.value,
        "state": a.state.value,
        "object": a.alarmed_object,
        "problem": a.specific_problem,
        "count": a.occurrences,
        "root": "yes" if a.is_root_cause else f"by #{a.suppressed_by_id}",
        "ack": a.ack_user or "-",
        "planned": a.planned,
        "raised": a.raised_at,
    }


@click.group()
def alarms() -> None:
    """Alarms (TMF642): list, show, acknowledge, clear, comment."""


@alarms.command("list")
@click.option("--all", "all_", is_flag=True, help="Include cleared alarms.")
@click.option("--device", default=None)
@click.option("--root", is_flag=True, help="Only root causes.")
@format_option
def alarms_list(all_: bool, device: str | None, root: bool, fmt: str) -> None:
    with context().begin() as s:
        q = select(Alarm).order_by(Alarm.id.desc()).limit(1000)
        if not all_:
            q = q.where(Alarm.state != AlarmState.CLEARED)
        if device:
            q = q.where(Alarm.alarmed_object.startswith(device))
        if root:
            q = q.where(Alarm.is_root_cause.is_(True))
        rows = [_alarm_row(a) for a in s.scalars(q)]
    emit(
        rows,
        fmt,
        ["id", "severity", "state", "object", "problem", "count", "root", "ack", "planned", "raised"],
    )


@alarms.command("show")
@click.argument("alarm_id", type=int)
@format_option
def alarms_show(alarm_id: int, fmt: str) -> None:
    with context().begin() as s:
        row = queries_alarms.alarm_row(s, alarm_id)
        if row is None:
            raise CommandError(f"no alarm {alarm_id}")
        doc = to_tmf(row.alarm, row.children)
        history = [
            {"at": h.at, "action": h.action, "user": h.user, "text": h.text} for h in row.alarm.history
        ]
    if fmt == "json":
        emit({**doc, "history": history}, fmt)
        return
    emit({k: v for k, v in doc.items() if not isinstance(v, list | dict)}, fmt)
    click.echo("\nhistory:")
    emit(history, fmt, ["at", "action", "user", "text"])


def _each(ids: tuple[int, ...], action: str, fn: Any) -> None:
    now = utcnow()
    with context().begin() as s:
        for alarm_id in ids:
            alarm = s.get(Alarm, alarm_id)
            if alarm is None:
                raise CommandError(f"no alarm {alarm_id} (nothing changed)")
            changed = fn(alarm, now)
            click.echo(f"alarm {alarm_id}: {action}" + ("" if changed is not False else " (already)"))


@alarms.command("ack")
@click.argument("ids", type=int, nargs=-1, required=True)
@click.option("--user", default=None)
def alarms_ack(ids: tuple[int, ...], user: str | None) -> None:
    _each(ids, "acknowledged", lambda a, now: alarm_ops.acknowledge(a, _user(user), now, system=SYSTEM))


@alarms.command("unack")
@click.argument("ids", type=int, nargs=-1, required=True)
@click.option("--user", default=None)
def alarms_unack(ids: tuple[int, ...], user: str | None) -> None:
    _each(
        ids,
        "unacknowledged",
        lambda a, now: alarm_ops.acknowledge(a, _user(user), now, ack=False, system=SYSTEM),
    )


@alarms.command("clear")
@click.argument("ids", type=int, nargs=-1, required=True)
@click.option("--user", default=None)
@click.option("--text", default="cleared by an operator")
def alarms_clear(ids: tuple[int, ...], user: str | None, text: str) -> None:
    _each(ids, "cleared", lambda a, now: alarm_ops.clear(a, now, text=text, user=_user(user), system=SYSTEM))


@alarms.command("comment")
@click.argument("alarm_id", type=int)
@click.argument("text")
@click.option("--user", default=None)
def alarms_comment(alarm_id: int, text: str, user: str | None) -> None:
    try:
        _each(
            (alarm_id,),
            "commented",
            lambda a, now: alarm_ops.comment(a, _user(user), text, now, system=SYSTEM),
        )
    except alarm_ops.AlarmOpError as exc:
        raise CommandError(str(exc)) from exc


@click.command()
@click.option("--device", default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@format_option
def events(device: str | None, limit: int, fmt: str) -> None:
    """Recent events (traps and poll findings), including traps from unknown sources."""
    with context().begin() as s:
        page = queries_alarms.list_events(s, queries_alarms.EventFilter(device=device), limit=limit)
        rows = [
            {
                "id": e.id,
                "at": e.received_at,
                "name": e.name,
                "source": e.source_address,
                "device": e.device.name if e.device else "(unknown source)",
                "version": e.version,
                "ifIndex": e.if_index,
                "alarm": e.alarm_id,
            }
            for e in page.items
        ]
    emit(rows, fmt, ["id", "at", "name", "source", "device", "version", "ifIndex", "alarm"])


@click.group()
def maintenance() -> None:
    """Maintenance windows: alarms on their targets inside them are planned."""


@maintenance.command("add")
@click.argument("name")
@click.option("--start", "starts_at", required=True, help="ISO 8601, UTC when no offset.")
@click.option("--end", "ends_at", required=True)
@click.option("--recurrence", type=click.Choice(["none", "daily", "weekly"]), default="none")
@click.option("--until", default=None)
@click.option("--device", "devices", multiple=True)
@click.option("--site", "sites", multiple=True)
@click.option("--description", default="")
def maintenance_add(
    name: str,
    starts_at: str,
    ends_at: str,
    recurrence: str,
    until: str | None,
    devices: tuple[str, ...],
    sites: tuple[str, ...],
    description: str,
) -> None:
    from web.maintenance_ops import create_window, window_input  # the same checks as the API
    from web.validation import FieldError

    body: dict[str, Any] = {
        "name": name,
        "description": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "recurrence": recurrence,
        "targets": {"devices": list(devices), "sites": list(sites)},
    }
    if until:
        body["until"] = until
    try:
        with context().begin() as s:
            window = create_window(s, window_input(body), _user(None))
            click.echo(f"maintenance window {window.id} added")
    except FieldError as exc:
        raise CommandError(str(exc)) from exc


@maintenance.command("list")
@format_option
def maintenance_list(fmt: str) -> None:
    with context().begin() as s:
        rows = [
            {
                "id": v.window.id,
                "name": v.window.name,
                "open": v.open_now,
                "recurrence": v.window.recurrence,
                "starts": v.window.starts_at,
                "ends": v.window.ends_at,
                "targets": ", ".join(v.devices + v.sites),
            }
            for v in list_windows(s, utcnow())
        ]
    emit(rows, fmt, ["id", "name", "open", "recurrence", "starts", "ends", "targets"])


@maintenance.command("remove")
@click.argument("window_id", type=int)
def maintenance_remove(window_id: int) -> None:
    with context().begin() as s:
        w = s.get(MaintenanceWindow, window_id)
        if w is None:
            raise CommandError(f"no maintenance window {window_id}")
        s.delete(w)
    click.echo(f"maintenance window {window_id} removed")


@click.group()
def hub() -> None:
    """Event listeners (TMF630 /hub) and the key that signs deliveries."""


@hub.command("list")
@format_option
def hub_list(fmt: str) -> None:
    with context().begin() as s:
        rows = [
            {"id": h.id, "api": h.api, "callback": h.callback, "query": h.query, "created": h.created_at}
            for h in s.scalars(select(HubSubscription).order_by(HubSubscription.id))
        ]
    emit(rows, fmt, ["id", "api", "callback", "query", "created"])


@hub.command("add")
@click.argument("callback")
@click.option("--api", default="alarm", show_default=True)
@click.option("--query", default="", help='e.g. "eventType=AlarmCreateEvent"')
def hub_add(callback: str, api: str, query: str) -> None:
    ctx = context()
    try:
        with ctx.begin() as s:
            sub = register(
                s, api, callback, query, _user(None), parse_networks(ctx.settings.hub_allow_networks)
            )
            click.echo(f"listener {sub.id} registered")
    except HubError as exc:
        raise CommandError(str(exc)) from exc


@hub.command("remove")
@click.argument("sub_id", type=int)
def hub_remove(sub_id: int) -> None:
    with context().begin() as s:
        sub = s.get(HubSubscription, sub_id)
        if sub is None:
            raise CommandError(f"no listener {sub_id}")
        s.delete(sub)
    click.echo(f"listener {sub_id} removed")


@hub.command("signing-key")
def hub_signing_key() -> None:
    """Print the key listeners use to verify the webhook-signature header (keep it secret)."""
    with context().begin() as s:
        click.echo(signing_key(s).reveal())


COMMANDS = [alarms, events, maintenance, hub]
