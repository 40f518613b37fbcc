"""TMF642 alarms: list, retrieve, patch (acknowledge, clear, comment) and the task resources
that do the same to every alarm matching a pattern.

Reads are open to every role, writes need the engineer role. Alarms are created, updated
and deleted by the agent only: there is no POST or DELETE on /alarm.
"""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import NotFound

from bss_bridge.tmf.alarm import to_tmf
from inventory import queries_alarms
from inventory.choices import Role
from inventory.fault_models import Alarm
from inventory.models import User
from inventory.types import utcnow
from web.alarm_actions import apply, apply_all
from web.api.params import paging
from web.auth import current_user, requires
from web.db import db
from web.tmf import docs
from web.tmf.alarm_input import list_filter, patch_change, task
from web.tmf.blueprint import bp
from web.validation import MERGE_PATCH_TYPES, FieldError, json_object

# A task changes at most this many alarms: enough for a storm, bounded for one request.
MAX_TASK_ALARMS = 10_000


def _user() -> User:
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    return user


def _alarm_doc(alarm_id: int) -> dict[str, object]:
    row = queries_alarms.alarm_row(db(), alarm_id)
    if row is None:
        raise NotFound(f"No alarm with id {alarm_id}.")
    return to_tmf(row.alarm, row.children)


@bp.get("/alarm")
def list_alarms() -> Response:
    f = list_filter(request.args)
    offset, limit = paging()
    result = queries_alarms.list_alarms(db(), f, offset=offset, limit=limit, with_comments=True)
    return docs.page((to_tmf(r.alarm, r.children) for r in result.items), result.total)


@bp.get("/alarm/<int:alarm_id>")
def get_alarm(alarm_id: int) -> Response:
    return docs.one(_alarm_doc(alarm_id))


@bp.patch("/alarm/<int:alarm_id>")
@requires(Role.ENGINEER)
def patch_alarm(alarm_id: int) -> Response:
    session = db()
    alarm = queries_alarms.alarm_for_update(session, alarm_id)
    if alarm is None:
        raise NotFound(f"No alarm with id {alarm_id}.")
    now = utcnow()
    existing = to_tmf(alarm)["comment"]
    change = patch_change(json_object(MERGE_PATCH_TYPES), existing, now)
    apply(alarm, change, _user().name, now)
    session.commit()
    return docs.one(_alarm_doc(alarm_id))


def _run_task(name: str) -> Response:
    now = utcnow()
    t = task(name, json_object(), now)
    session = db()
    matched = queries_alarms.count_matching(session, t.patterns)
    if matched > MAX_TASK_ALARMS:
        raise FieldError(
            "alarmPattern",
            f"matches {matched} alarms; a task changes at most {MAX_TASK_ALARMS}: narrow the patterns",
        )
    alarms: list[Alarm] = queries_alarms.matching_alarms(session, t.patterns)
    user = _user().name
    # Ids taken before the commit expires the objects (reading them after would cost one
    # statement per alarm).
    changed = [a.id for a in apply_all(alarms, t.change, user, now)]
    session.commit()
    return docs.one(docs.task_doc(t, changed, user, now), status=201)


@bp.post("/ackAlarms")
@requires(Role.ENGINEER)
def ack_alarms() -> Response:
    return _run_task("ackAlarms")


@bp.post("/unAckAlarms")
@requires(Role.ENGINEER)
def unack_alarms() -> Response:
    return _run_task("unAckAlarms")


@bp.post("/clearAlarms")
@requires(Role.ENGINEER)
def clear_alarms() -> Response:
    return _run_task("clearAlarms")


@bp.post("/commentAlarms")
@requires(Role.ENGINEER)
def comment_alarms() -> Response:
    return _run_task("commentAlarms")
