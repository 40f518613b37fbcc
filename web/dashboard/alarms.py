"""Alarm pages: the alarm list (active by default) and one alarm with its timeline, the
alarms it suppresses and the events that fed it, with forms to acknowledge, clear and
comment (engineer role). Each view parses, calls one query or action, and renders."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from inventory import queries_alarms
from inventory.choices import AlarmState, Role, Severity
from inventory.queries_alarms import ACTIVE_SEVERITIES, ACTIVE_STATES, AlarmFilter
from inventory.types import utcnow
from web.alarm_actions import AlarmChange, NewComment, apply, comment_text
from web.auth import current_user, requires
from web.dashboard.blueprint import bp
from web.db import db
from web.paging import requested_page
from web.validation import FieldError

ALARMS_PER_PAGE = 100  # rows on a page (``?page=N``); the filters narrow a bigger list


def _flag(name: str) -> bool:
    return request.args.get(name, "") in ("1", "true", "on", "yes")


def _page_filter() -> tuple[AlarmFilter, dict[str, object]]:
    """The list's filter from the query string, and the form's state to render it again."""
    severities = set()
    for raw in request.args.getlist("severity"):
        try:
            severities.add(Severity(raw))
        except ValueError:
            raise FieldError("severity", f"{raw!r} is not a severity") from None
    interface = request.args.get("interface", "")
    if interface and not interface.isdigit():
        raise FieldError("interface", "must be an interface id")
    include_cleared, include_suppressed = _flag("cleared"), _flag("suppressed")
    f = AlarmFilter(
        states=frozenset() if include_cleared else frozenset(ACTIVE_STATES),
        severities=frozenset(severities),
        suppressed=None if include_suppressed else False,
        device=request.args.get("device") or None,
        interface_id=int(interface) if interface else None,
    )
    form = {
        "severities": {s.value for s in severities},
        "cleared": include_cleared,
        "suppressed": include_suppressed,
        "device": request.args.get("device", ""),
        "interface": interface,
    }
    return f, form


@bp.get("/alarms")
def alarms() -> ResponseReturnValue:
    f, form = _page_filter()
    session = db()
    pager = requested_page(ALARMS_PER_PAGE)
    page = queries_alarms.list_alarms(session, f, offset=pager.offset, limit=pager.size, order="severity")
    pager = pager.clamp(page.total)
    if not page.items and page.total:  # past the end: the last page
        page = queries_alarms.list_alarms(session, f, offset=pager.offset, limit=pager.size, order="severity")
    return render_template(
        "alarms.html",
        rows=page.items,
        total=page.total,
        pager=pager,
        form=form,
        severities=ACTIVE_SEVERITIES,
    )


@bp.get("/alarms/<int:alarm_id>")
def alarm(alarm_id: int) -> ResponseReturnValue:
    detail = queries_alarms.alarm_detail(db(), alarm_id)
    if detail is None:
        raise NotFound(f"No alarm with id {alarm_id}.")
    return render_template(
        "alarm.html", d=detail, alarm=detail.alarm, now=utcnow(), CLEARED=AlarmState.CLEARED
    )


def _act(alarm_id: int, change: AlarmChange, done: str) -> ResponseReturnValue:
    session = db()
    found = queries_alarms.alarm_for_update(session, alarm_id)
    if found is None:
        raise NotFound(f"No alarm with id {alarm_id}.")
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    changed = apply(found, change, user.name, utcnow())
    session.commit()
    flash(done if changed else "Nothing to change: the alarm already was so.", "info")
    return redirect(url_for("dashboard.alarm", alarm_id=alarm_id))


def _text(name: str, required: bool) -> str | None:
    """A form's text, or None after flashing why it is refused."""
    raw = request.form.get(name, "")
    if not raw.strip() and not required:
        return ""
    try:
        return comment_text(name, raw)
    except FieldError as exc:
        flash(f"Not saved: the {name} {exc.message}.", "error")
        return None


@bp.post("/alarms/<int:alarm_id>/ack")
@requires(Role.ENGINEER)
def alarm_ack(alarm_id: int) -> ResponseReturnValue:
    return _act(alarm_id, AlarmChange(ack=True), "Alarm acknowledged.")


@bp.post("/alarms/<int:alarm_id>/unack")
@requires(Role.ENGINEER)
def alarm_unack(alarm_id: int) -> ResponseReturnValue:
    return _act(alarm_id, AlarmChange(ack=False), "Acknowledgement withdrawn.")


@bp.post("/alarms/<int:alarm_id>/clear")
@requires(Role.ENGINEER)
def alarm_clear(alarm_id: int) -> ResponseReturnValue:
    text = _text("reason", required=False)
    if text is None:
        return redirect(url_for("dashboard.alarm", alarm_id=alarm_id))
    return _act(alarm_id, AlarmChange(clear=True, clear_text=text), "Alarm cleared.")


@bp.post("/alarms/<int:alarm_id>/comment")
@requires(Role.ENGINEER)
def alarm_comment(alarm_id: int) -> ResponseReturnValue:
    text = _text("comment", required=True)
    if not text:
        return redirect(url_for("dashboard.alarm", alarm_id=alarm_id))
    return _act(alarm_id, AlarmChange(comments=(NewComment(text),)), "Comment added.")
