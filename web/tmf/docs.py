"""TMF642 documents and responses: alarms (via bss_bridge.tmf.alarm), task resources, hub
subscriptions; field selection and the TMF630 paging headers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from flask import Response, jsonify

from bss_bridge.tmf.alarm import alarm_ref
from bss_bridge.tmf.common import iso, select_fields
from inventory.fault_models import HubSubscription
from web.api.params import fields
from web.tmf.alarm_input import Task

Doc = dict[str, Any]


def one(doc: Mapping[str, Any], status: int = 200) -> Response:
    response = jsonify(select_fields(doc, fields()))
    response.status_code = status
    return response


def page(docs: Iterable[Mapping[str, Any]], total: int) -> Response:
    wanted = fields()
    body = [select_fields(d, wanted) for d in docs]
    response = jsonify(body)
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Result-Count"] = str(len(body))
    return response


def _ref(alarm_id: int) -> Doc:
    return {**alarm_ref(alarm_id), "@referredType": "Alarm"}


def task_doc(task: Task, changed: Sequence[int], user: str, now: datetime) -> Doc:
    """The task resource as done. Tasks run to completion within the request and are not
    kept, so the document carries an id but no href."""
    name = task.kind.type_name
    doc: Doc = {"id": uuid.uuid4().hex, "@type": name, "@baseType": name, "state": "done", **task.echo}
    change = task.change
    if change.ack is not None:
        doc.update({"ackUserId": user, "ackSystemId": change.system, "ackTime": iso(now)})
    if change.clear:
        doc.update(
            {
                "clearUserId": user,
                "clearSystemId": change.system,
                "alarmClearedTime": iso(change.cleared_at or now),
            }
        )
    doc[task.kind.result] = [_ref(a) for a in changed]
    return doc


def hub_doc(sub: HubSubscription, href: str) -> Doc:
    return {"id": str(sub.id), "href": href, "callback": sub.callback, "query": sub.query or None}
