"""TMF630 listener registration for TMF642 events: POST /hub, GET and DELETE /hub/{id}.

The agent delivers the events (through the outbox) to the registered callbacks. Listener
URLs are checked by inventory.hub: public http(s) addresses, or private ones whose network
the HUB_ALLOW_NETWORKS setting allow-lists. Registrations need the engineer role, reading
them too: a callback's query string may carry the listener's credentials.
"""

from __future__ import annotations

from flask import Response, url_for
from werkzeug.exceptions import NotFound

from inventory import queries_alarms
from inventory.choices import Role
from inventory.fault_models import HubSubscription
from web.auth import requires
from web.db import db
from web.tmf import docs
from web.tmf.blueprint import API, bp
from web.tmf.hub_register import register_listener


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
    sub = register_listener(API, "AlarmCreateEvent")
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
