"""TMF656 Service Problem Management (outages: one problem per impacted service, opened and
resolved by the agent from fault impact) with one write, reclassifying an outage as planned
or unplanned, which recomputes its SLA credit in place; and TMF681 Communication Management
(the notices sent to customers about them). Problems and messages are created by the agent."""

from __future__ import annotations

from datetime import datetime

from flask import Response, request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound, ServiceUnavailable

from bss_bridge.credits import credit_for_problem
from bss_bridge.tmf.billing import credit_doc
from bss_bridge.tmf.common import event_envelope
from bss_bridge.tmf.problem import message_to_tmf, problem_to_tmf
from inventory import queries_bss as qb
from inventory.bss_models import ServiceProblem
from inventory.choices import MessageState, ProblemState, Role
from inventory.hub import enqueue_event, new_event_id
from inventory.types import utcnow
from web.api.params import paging
from web.auth import requires
from web.db import db
from web.tmf import docs
from web.tmf.alarm_input import TYPE_KEYS
from web.tmf.bss_blueprints import BILL, COMMUNICATION, PROBLEM
from web.tmf.query import Param, enum_param, parse
from web.tmf.retry import ATTEMPTS, lost_race
from web.validation import MERGE_PATCH_TYPES, FieldError, json_object, only

PROBLEM_FILTERS = {
    "id": Param("ids"),
    "status": enum_param(ProblemState),
    "affectedService.id": Param("ids"),
    "relatedParty.id": Param("ids"),
    "creationDate": Param("time"),
}
MESSAGE_FILTERS = {
    "id": Param("ids"),
    "state": enum_param(MessageState),
    "receiver.id": Param("ids"),
    "serviceProblemId": Param("ids"),
    "messageType": Param("enum", ("Email", "Webhook")),
}
CHANNELS = {"Email": "email", "Webhook": "webhook"}
RESOLVED = (ProblemState.RESOLVED, ProblemState.CLOSED)
PROBLEM_CHANGE_EVENT = "ServiceProblemAttributeValueChangeEvent"
CREDIT_CREATE_EVENT = "AppliedCustomerBillingRateCreateEvent"
CREDIT_CHANGE_EVENT = "AppliedCustomerBillingRateAttributeValueChangeEvent"
bp = PROBLEM.bp
message_bp = COMMUNICATION.bp


@bp.get("/serviceProblem")
def list_problems() -> Response:
    q = parse(request.args, PROBLEM_FILTERS)
    offset, limit = paging()
    f = qb.ProblemFilter(
        ids=q.values("id"),
        states=q.enum("status", ProblemState),
        services=q.values("affectedService.id"),
        customers=q.values("relatedParty.id"),
        creation=q.time("creationDate"),
    )
    page = qb.list_problems(db(), f, offset=offset, limit=limit)
    return docs.page((problem_to_tmf(p) for p in page.items), page.total)


@bp.get("/serviceProblem/<problem_id>")
def get_problem(problem_id: str) -> Response:
    problem = qb.problem_by_id(db(), problem_id)
    if problem is None:
        raise NotFound(f"No service problem {problem_id}.")
    return docs.one(problem_to_tmf(problem))


def _planned(body: dict[str, object]) -> bool:
    """The one attribute a client may change: characteristic planned (true or false)."""
    only(body, {"characteristic", *TYPE_KEYS})
    chars = body.get("characteristic")
    if not isinstance(chars, list) or not chars:
        raise FieldError("characteristic", 'required: [{"name": "planned", "value": true}]')
    planned: bool | None = None
    for i, c in enumerate(chars):
        if not isinstance(c, dict) or c.get("name") != "planned":
            raise FieldError(f"characteristic[{i}].name", "only planned can be changed")
        only(c, {"name", "value", "valueType", *TYPE_KEYS}, where=f"characteristic[{i}].")
        value = c.get("value")
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if not isinstance(value, bool):
            raise FieldError(f"characteristic[{i}].value", "must be true or false")
        planned = value
    assert planned is not None
    return planned


def _announce(session: Session, api: str, event_type: str, resource: str, doc: dict[str, object],
              now: datetime) -> None:  # fmt: skip
    event_id = new_event_id()
    envelope = event_envelope(event_type, resource, doc, event_id, now)
    enqueue_event(session, api, event_type, envelope, event_id, now=now)


def _reclassify(session: Session, problem: ServiceProblem, planned: bool, now: datetime) -> None:
    if problem.planned is planned:
        return
    problem.planned = planned
    # Only a resolved outage has a credit: recompute it in place (one record, next revision).
    changes = credit_for_problem(session, problem, now) if problem.state in RESOLVED else []
    session.flush()
    _announce(session, PROBLEM.api, PROBLEM_CHANGE_EVENT, "serviceProblem", problem_to_tmf(problem), now)
    refs = qb.service_refs(session, [c.record.service_id for c in changes])
    for change in changes:
        if change.changed:
            event = CREDIT_CREATE_EVENT if change.created else CREDIT_CHANGE_EVENT
            doc = credit_doc(change.record, refs.get(change.record.service_id))
            _announce(session, BILL.api, event, "appliedCustomerBillingRate", doc, now)


@bp.patch("/serviceProblem/<problem_id>")
@requires(Role.ENGINEER)
def patch_problem(problem_id: str) -> Response:
    """Body (JSON Merge Patch): {"characteristic": [{"name": "planned", "value": true}]}."""
    planned = _planned(json_object(MERGE_PATCH_TYPES))
    session = db()
    for _ in range(ATTEMPTS):
        try:
            problem = qb.problem_for_update(session, problem_id)
            if problem is None:
                raise NotFound(f"No service problem {problem_id}.")
            _reclassify(session, problem, planned, utcnow())
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if not lost_race(exc):
                raise
            continue
        return docs.one(problem_to_tmf(problem))
    raise ServiceUnavailable("The service problem is changing right now; retry.")


# -- TMF681 -------------------------------------------------------------------------------------


@message_bp.get("/communicationMessage")
def list_messages() -> Response:
    q = parse(request.args, MESSAGE_FILTERS)
    offset, limit = paging()
    f = qb.MessageFilter(
        ids=q.values("id"),
        states=q.enum("state", MessageState),
        customers=q.values("receiver.id"),
        problems=q.values("serviceProblemId"),
        channels=frozenset(CHANNELS[t] for t in q.values("messageType")),
    )
    page = qb.list_messages(db(), f, offset=offset, limit=limit)
    return docs.page((message_to_tmf(m) for m in page.items), page.total)


@message_bp.get("/communicationMessage/<message_id>")
def get_message(message_id: str) -> Response:
    message = qb.message_by_id(db(), message_id)
    if message is None:
        raise NotFound(f"No communication message {message_id}.")
    return docs.one(message_to_tmf(message))
