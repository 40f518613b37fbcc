"""Service requests from the web process: the API's JSON and the dashboard's forms become
planned provisioning transactions through ``bss_bridge.provisioning``, which validates,
qualifies, renders and journals them without touching a device. The agent executes them.

Refusals carry the field at fault: a request the service model or the inventory refuses is
a 400 whose ``errors`` map each field path (as the client sent it: ``params.vlan``,
``params.endpoints.0.device``) to what is wrong; a service with a transaction in progress,
or a transaction that cannot be rolled back, is a 409. Functions take a session and never
commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest, Conflict, NotFound

from bss_bridge.provisioning import submit, submit_rollback
from inventory.choices import ServiceState
from inventory.provisioning_models import Transaction
from inventory.queries_provisioning import (
    busy_transaction,
    service_by_ref,
    service_instance,
    transaction_exists,
)
from provisioners.services.catalog import ServiceBusy, ServiceError
from web.validation import FieldError, only

# What a service request may hold (bss_bridge.provisioning.REQUEST_KEYS), plus the flags.
REQUEST_FIELDS = ("service", "action", "params", "service_id", "confirm_timeout", "dry_run", "force")
FLAGS = ("dry_run", "force")
# Error paths that already name a field of the request body; any other is inside params.
_TOP_LEVEL = frozenset({*REQUEST_FIELDS, "transaction"})
_IN_PROGRESS = "has a transaction in progress"


class RequestRefused(BadRequest):
    """400: the request names fields the service model or the inventory refuses."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class RequestConflict(Conflict):
    """409: the service is busy, or the transaction cannot be rolled back now."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


@dataclass(frozen=True)
class SubmitInput:
    request: dict[str, Any]  # for bss_bridge.provisioning.submit
    dry_run: bool = False
    force: bool = False


def field_path(key: str) -> str:
    """A ServiceError's path as a field of the request body."""
    if key in _TOP_LEVEL or key.startswith("params."):
        return key
    if key == "(request)":
        return "params"
    return f"params.{key}"


def _flag(body: Mapping[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise FieldError(key, "must be true or false")
    return value


def submit_input(body: Mapping[str, Any], *, allowed: tuple[str, ...] = REQUEST_FIELDS) -> SubmitInput:
    """A request body as the client sent it: only known fields, flags as booleans."""
    only(body, allowed)
    timeout = body.get("confirm_timeout")
    if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool)):
        raise FieldError("confirm_timeout", "must be an integer (seconds)")
    request = {k: v for k, v in body.items() if k not in FLAGS}
    return SubmitInput(request, _flag(body, "dry_run"), _flag(body, "force"))


def service_ref(request: Mapping[str, Any]) -> str | None:
    ref = request.get("service_id")
    params = request.get("params")
    if not ref and isinstance(params, dict):
        ref = params.get("service_id")
    return ref if isinstance(ref, str) and ref else None


def _refused(exc: ServiceError) -> RequestRefused | RequestConflict:
    busy = [v for v in exc.errors.values()] if isinstance(exc, ServiceBusy) else []
    if busy:
        # The same field as the check before submitting names: the service, not a parameter.
        return RequestConflict({"service_id": busy[0]})
    return RequestRefused({field_path(k): v for k, v in exc.errors.items()})


def _refuse_if_busy(session: Session, ref: str | None) -> None:
    service = service_by_ref(session, ref) if ref else None
    if service is None:
        return
    busy = busy_transaction(session, service.id)
    if busy is not None:
        raise RequestConflict({"service_id": f"{ref} {_IN_PROGRESS} ({busy})"})


def submit_request(session: Session, given: SubmitInput, *, user: str, origin: str) -> Transaction:
    """Plan the request as a transaction (state planned) for the agent to execute."""
    _refuse_if_busy(session, service_ref(given.request))
    try:
        return submit(
            session, given.request, user=user, origin=origin, dry_run=given.dry_run, force=given.force
        )
    except ServiceError as exc:
        raise _refused(exc) from None


def rollback(session: Session, tx_id: str, *, user: str, dry_run: bool = False) -> Transaction:
    """Plan a transaction that undoes ``tx_id`` (404 if unknown, 409 if it cannot be undone)."""
    if not transaction_exists(session, tx_id):
        raise NotFound(f"No transaction {tx_id}.")
    try:
        return submit_rollback(session, tx_id, user, dry_run)
    except ServiceError as exc:
        refused = _refused(exc)
        # Whatever the reason (not done, changed since, busy, the old parameters no longer
        # qualify), the transaction cannot be rolled back now.
        raise RequestConflict(refused.errors) from None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: objects merge, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _provisioned(session: Session, external_id: str) -> tuple[str, dict[str, Any]]:
    """(model, params) of a live service ossagent provisioned: 404 or 409 otherwise."""
    service = service_by_ref(session, external_id)
    if service is None:
        raise NotFound(f"No service {external_id}.")
    instance = service_instance(session, service.id)
    if instance is None:
        raise RequestConflict({"service_id": f"{external_id} was not provisioned by ossagent"})
    if service.state is ServiceState.TERMINATED:
        raise RequestConflict({"service_id": f"{external_id} is terminated"})
    return instance.model, dict(instance.params)


def modify_input(session: Session, external_id: str, body: Mapping[str, Any]) -> SubmitInput:
    """PATCH /services/<id>: ``params`` merged (RFC 7386) over the service's current ones."""
    given = submit_input(body, allowed=("params", "confirm_timeout", *FLAGS))
    patch = given.request.get("params")
    if not isinstance(patch, dict):
        raise FieldError("params", "required: an object of the parameters to change")
    model, current = _provisioned(session, external_id)
    params = merge_patch(current, patch)
    request = {**given.request, "service": model, "action": "modify", "params": params}
    return SubmitInput(request, given.dry_run, given.force)


def delete_input(session: Session, external_id: str, body: Mapping[str, Any]) -> SubmitInput:
    given = submit_input(body, allowed=("confirm_timeout", *FLAGS))
    _provisioned(session, external_id)
    request = {**given.request, "action": "delete", "service_id": external_id}
    return SubmitInput(request, given.dry_run, given.force)


def create_input(body: Mapping[str, Any]) -> SubmitInput:
    """POST /services: ``{"service": model, "params": {...}}``."""
    given = submit_input(body, allowed=("service", "params", "confirm_timeout", *FLAGS))
    if not isinstance(given.request.get("service"), str) or not given.request["service"]:
        raise FieldError("service", "required: the service model's name")
    return SubmitInput({**given.request, "action": "create"}, given.dry_run, given.force)
