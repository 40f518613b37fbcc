"""The body of a TMF630 listener registration (POST /hub), shared by every TM Forum API."""

from __future__ import annotations

from flask import current_app

from inventory import hub
from inventory.fault_models import HubSubscription
from web.auth import current_user
from web.db import db
from web.tmf.alarm_input import TYPE_KEYS
from web.validation import FieldError, json_object, only


def register_listener(api: str, example_event: str) -> HubSubscription:
    """Validate the request body and register its callback for ``api``'s events; the
    session is committed. Errors name the field at fault (TMF630 Error)."""
    body = json_object()
    only(body, {"callback", "query", *TYPE_KEYS})
    callback = body.get("callback")
    if not isinstance(callback, str):
        raise FieldError("callback", "required: the listener's http(s) URL")
    query = body.get("query") or ""
    if not isinstance(query, str):
        raise FieldError("query", f'must be a string such as "eventType={example_event}"')
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    session = db()
    allow = hub.parse_networks(current_app.config.get("HUB_ALLOW_NETWORKS", ""))
    try:
        sub = hub.register(session, api, callback, query, user.name, allow)
    except hub.HubError as exc:
        field, _, message = str(exc).partition(": ")  # its message starts with the field at fault
        raise FieldError(field, message) from None
    session.commit()
    return sub
