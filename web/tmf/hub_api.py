"""TMF630 listener registration for TMF642 events: POST /hub, GET and DELETE /hub/{id}.

The agent delivers the events (through the outbox) to the registered callbacks. Listener
URLs are checked by inventory.hub: public http(s) addresses, or private ones whose network
the HUB_ALLOW_NETWORKS setting allow-lists. Registrations need the engineer role, reading
them too: a callback's query string may carry the listener's credentials.
"""

from __future__ import annotations

from flask import Response, current_app, url_for
from werkzeug.exceptions import BadRequest, NotFound

from inventory import hub, queries_alarms
from inventory.choices import Role
from inventory.fault_models import HubSubscription
from web.auth import current_user, requires
from web.db import db
from web.tmf import docs
from web.tmf.alarm_input import TYPE_KEYS
from web.tmf.blueprint import API, bp
from web.validation import FieldError, json_object, only


def _subscription(hub_id: int) -> HubSubscription:
    sub = queries_alarms.hub_subscription(db(), API, hub_id)
    if sub is None:
        raise NotFound(f"No listener registration with id {hub_id}.")
    return sub


def _href(sub: HubSubscription) -> str:
    # "." keeps the base path the client used (the primary one or the alias).
    return url_for(".get_hub", hub_id=sub.id)


@bp.post("/hub")
@requires(Role.ENGINEER)
def register_hub() -> Response:
    body = json_object()
    only(body, {"callback", "query", *TYPE_KEYS})
    callback = body.get("callback")
    if not isinstance(callback, str):
        raise FieldError("callback", "required: the listener's http(s) URL")
    query = body.get("query") or ""
    if not isinstance(query, str):
        raise FieldError("query", 'must be a string such as "eventType=AlarmCreateEvent"')
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    session = db()
    allow = hub.parse_networks(current_app.config.get("HUB_ALLOW_NETWORKS", ""))
    try:
        sub = hub.register(session, API, callback, query, user.name, allow)
    except hub.HubError as exc:
        raise BadRequest(str(exc)) from None  # its message starts with the field at fault
    session.commit()
    response = docs.one(docs.hub_doc(sub, _href(sub)), status=201)
    response.headers["Location"] = _href(sub)
    return response


@bp.get("/hub/<int:hub_id>")
@requires(Role.ENGINEER)
def get_hub(hub_id: int) -> Response:
    sub = _subscription(hub_id)
    return docs.one(docs.hub_doc(sub, _href(sub)))


@bp.delete("/hub/<int:hub_id>")
@requires(Role.ENGINEER)
def delete_hub(hub_id: int) -> Response:
    session = db()
    session.delete(_subscription(hub_id))  # its undelivered outbox rows go with it (FK cascade)
    session.commit()
    return Response(status=204)
