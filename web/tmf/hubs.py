"""TMF630 listener registration (POST /hub, GET and DELETE /hub/{id}) for each BSS-facing
TM Forum API, registered under the API's own name so that the agent delivers each API's
events to its own listeners only.

As for TMF642: callbacks are checked by inventory.hub (public http(s) addresses, or private
ones whose network HUB_ALLOW_NETWORKS allow-lists); registering and reading registrations
need the engineer role, since a callback's query string may carry the listener's credentials.
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
from web.tmf.bss_blueprints import TmfApi
from web.tmf.hub_register import register_listener


def add_hub_routes(api: TmfApi) -> None:
    def subscription(hub_id: int) -> HubSubscription:
        sub = queries_alarms.hub_subscription(db(), api.api, hub_id)
        if sub is None:
            raise NotFound(f"No listener registration with id {hub_id}.")
        return sub

    def location(sub: HubSubscription) -> str:
        return url_for(f"{api.name}.get_hub", hub_id=sub.id)

    @requires(Role.ENGINEER)
    def register_hub() -> Response:
        sub = register_listener(api.api, "ProductOrderStateChangeEvent")
        response = docs.one(docs.hub_doc(sub, location(sub)), status=201)
        response.headers["Location"] = location(sub)
        return response

    @requires(Role.ENGINEER)
    def get_hub(hub_id: int) -> Response:
        sub = subscription(hub_id)
        return docs.one(docs.hub_doc(sub, location(sub)))

    @requires(Role.ENGINEER)
    def delete_hub(hub_id: int) -> Response:
        session = db()
        session.delete(subscription(hub_id))  # its undelivered outbox rows go with it (FK cascade)
        session.commit()
        return Response(status=204)

    api.bp.add_url_rule("/hub", "register_hub", register_hub, methods=["POST"])
    api.bp.add_url_rule("/hub/<int:hub_id>", "get_hub", get_hub, methods=["GET"])
    api.bp.add_url_rule("/hub/<int:hub_id>", "delete_hub", delete_hub, methods=["DELETE"])
