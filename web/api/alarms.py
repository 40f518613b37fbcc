"""/alarms: the engineer's view of alarms (flat JSON, newest first), one alarm with its
history and the alarms it suppresses, operator actions, and the summary behind the header
badge. The same alarms are served in TMF642 shape under /tmf-api/alarmManagement/v4."""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import NotFound

from inventory import queries_alarms
from inventory.choices import AlarmState, Role, Severity
from inventory.queries_alarms import ACTIVE_STATES, AlarmFilter
from inventory.types import utcnow
from web.alarm_actions import AlarmChange, NewComment, apply, comment_text
from web.api import respond
from web.api.blueprint import bp
from web.api.fault_docs import alarm_detail_doc, alarm_doc, summary_doc
from web.api.params import paging
from web.auth import current_user, requires
from web.db import db
from web.validation import FieldError, only, optional_json_object

STATES = {
    "active": frozenset(ACTIVE_STATES),
    "cleared": frozenset({AlarmState.CLEARED}),
    "all": frozenset[AlarmState](),
}


def _severities(raw: list[str]) -> frozenset[Severity]:
    out = set()
    for value in (v.strip() for r in raw for v in r.split(",") if v.strip()):
        try:
            out.add(Severity(value))
        except ValueError:
            raise FieldError("severity", f"{value!r} is not one of {', '.join(Severity)}") from None
    return frozenset(out)


def alarm_filter() -> AlarmFilter:
    """?state=active|cleared|all (default active), severity (repeatable), device, root=true."""
    args = request.args
    only(args, ("state", "severity", "device", "root", "offset", "limit", "fields"))
    state = args.get("state", "active")
    if state not in STATES:
        raise FieldError("state", f"must be one of {', '.join(STATES)}")
    root = args.get("root", "").lower()
    if root not in ("", "true", "false"):
        raise FieldError("root", "must be true or false")
    return AlarmFilter(
        states=STATES[state],
        severities=_severities(args.getlist("severity")),
        device=args.get("device") or None,
        root_cause=frozenset({root == "true"}) if root else frozenset(),
        # root=true: a root cause that nothing suppresses, what needs a person.
        suppressed=False if root == "true" else None,
    )


def _detail(alarm_id: int) -> Response:
    detail = queries_alarms.alarm_detail(db(), alarm_id)
    if detail is None:
        raise NotFound(f"No alarm with id {alarm_id}.")
    return respond.one(alarm_detail_doc(detail))


@bp.get("/alarms")
def list_alarms() -> Response:
    f = alarm_filter()
    offset, limit = paging()
    result = queries_alarms.list_alarms(db(), f, offset=offset, limit=limit)
    return respond.page((alarm_doc(r.alarm, r.children) for r in result.items), result.total)


@bp.get("/alarms/<int:alarm_id>")
def get_alarm(alarm_id: int) -> Response:
    return _detail(alarm_id)


@bp.get("/alarms/summary")
def alarm_summary() -> Response:
    return respond.one(summary_doc(queries_alarms.alarm_summary(db())))


def _act(alarm_id: int, change: AlarmChange) -> Response:
    session = db()
    alarm = queries_alarms.alarm_for_update(session, alarm_id)
    if alarm is None:
        raise NotFound(f"No alarm with id {alarm_id}.")
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    apply(alarm, change, user.name, utcnow())
    session.commit()
    return _detail(alarm_id)


def _no_body() -> None:
    only(optional_json_object(), ())


@bp.post("/alarms/<int:alarm_id>/ack")
@requires(Role.ENGINEER)
def ack_alarm(alarm_id: int) -> Response:
    _no_body()
    return _act(alarm_id, AlarmChange(ack=True))


@bp.post("/alarms/<int:alarm_id>/unack")
@requires(Role.ENGINEER)
def unack_alarm(alarm_id: int) -> Response:
    _no_body()
    return _act(alarm_id, AlarmChange(ack=False))


@bp.post("/alarms/<int:alarm_id>/clear")
@requires(Role.ENGINEER)
def clear_alarm(alarm_id: int) -> Response:
    """Body (optional): {"text": "why"}, kept with the clear in the alarm's history."""
    body = optional_json_object()
    only(body, ("text",))
    text = comment_text("text", body["text"]) if body.get("text") else ""
    return _act(alarm_id, AlarmChange(clear=True, clear_text=text))


@bp.post("/alarms/<int:alarm_id>/comment")
@requires(Role.ENGINEER)
def comment_alarm(alarm_id: int) -> Response:
    """Body: {"text": "..."}."""
    body = optional_json_object()
    only(body, ("text",))
    return _act(alarm_id, AlarmChange(comments=(NewComment(comment_text("text", body.get("text"))),)))
