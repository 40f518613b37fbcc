"""One NETCONF session (RFC 6241) on a simulated node, independent of the SSH transport: bytes in
(:meth:`NetconfSession.data_received`), bytes out (the ``send`` callback).

Handlers run synchronously on the node's event loop, so every operation is atomic with respect
to the other faces of the node.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from lxml import etree

from lab.sim.config.model import ConfigError, DeviceConfig
from lab.sim.config.store import DEFAULT_CONFIRM_TIMEOUT, CommitRefused
from lab.sim.config.xml import (
    IF,
    INTERFACE,
    NC,
    SIM,
    SYS,
    Element,
    SchemaNode,
    XmlDataError,
    from_xml,
    local,
    q,
    to_xml,
)
from lab.sim.netconf.edit import Editor, new_root, run_edit
from lab.sim.netconf.errors import RpcError, from_config_error
from lab.sim.netconf.filter import apply_filter
from lab.sim.netconf.framing import Framer, FramingError, frame
from lab.sim.netconf.state import interfaces_state
from lab.sim.runtime import Device

log = logging.getLogger(__name__)

BASE10 = "urn:ietf:params:netconf:base:1.0"
BASE11 = "urn:ietf:params:netconf:base:1.1"
CAP = "urn:ietf:params:netconf:capability:"
MODULES = (
    f"{IF}?module=ietf-interfaces&revision=2014-05-08",
    "urn:ietf:params:xml:ns:yang:ietf-ip?module=ietf-ip&revision=2014-06-16",
    "urn:ietf:params:xml:ns:yang:iana-if-type?module=iana-if-type&revision=2014-05-08",
    f"{SYS}?module=ietf-system&revision=2014-08-06",
    f"{SIM}?module=ossagent-sim&revision=2025-01-01",
)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True, huge_tree=False)

Handler = Callable[["NetconfSession", Element], list[Element] | None]


def capabilities(device: Device) -> list[str]:
    caps = [BASE10, BASE11]
    if device.netconf_datastore == "candidate":
        caps += [f"{CAP}candidate:1.0", f"{CAP}confirmed-commit:1.0", f"{CAP}confirmed-commit:1.1"]
    else:
        caps.append(f"{CAP}writable-running:1.0")
    caps += [f"{CAP}validate:1.0", f"{CAP}validate:1.1", f"{CAP}rollback-on-error:1.0", f"{CAP}startup:1.0"]
    return caps + list(MODULES)


class NetconfSession:
    def __init__(
        self, device: Device, session_id: int, send: Callable[[bytes], None], close: Callable[[], None]
    ):
        self.device = device
        self.session_id = session_id
        self._send = send
        self._close = close
        self.framer = Framer()
        self.hello_done = False
        self.closed = False

    @property
    def owner(self) -> str:
        return f"netconf:{self.session_id}"

    @property
    def store(self) -> Any:
        return self.device.store

    @property
    def candidate_mode(self) -> bool:
        return self.device.netconf_datastore == "candidate"

    # -- transport ----------------------------------------------------------------------------

    def start(self) -> None:
        self.device.netconf_sessions[self.session_id] = self
        hello = etree.Element(q(NC, "hello"), nsmap={None: NC})
        caps = etree.SubElement(hello, q(NC, "capabilities"))
        for c in capabilities(self.device):
            etree.SubElement(caps, q(NC, "capability")).text = c
        etree.SubElement(hello, q(NC, "session-id")).text = str(self.session_id)
        self._write(hello, chunked=False)

    def _write(self, el: Element, chunked: bool | None = None) -> None:
        if self.closed:
            return
        data = etree.tostring(el, xml_declaration=True, encoding="UTF-8")
        self._send(frame(data, self.framer.chunked if chunked is None else chunked))

    def data_received(self, data: bytes) -> None:
        try:
            self.framer.feed(data)
            while not self.closed:
                msg = self.framer.next_message()
                if msg is None:
                    break
                self._message(msg)
        except FramingError as exc:
            log.info("%s: NETCONF session %d: %s", self.device.name, self.session_id, exc)
            self.close()

    def close(self) -> None:
        """End the session (close-session, kill-session, a reboot, a framing error)."""
        if self.closed:
            return
        self.terminated()
        self.closed = True
        self._close()

    def terminated(self) -> None:
        """The transport is gone: release what the session held (RFC 6241 7.5, 8.4)."""
        dev = self.device
        if dev.netconf_sessions.get(self.session_id) is self:
            del dev.netconf_sessions[self.session_id]
        store = dev.store
        for ds, holder in list(store.locks.items()):
            if holder == self.session_id:
                del store.locks[ds]
                if ds == "candidate":
                    store.discard_candidate()  # an abandoned locked candidate is discarded
        pending = store.pending
        if pending is not None and pending.owner == self.owner and pending.persist is None:
            store.revert()  # 8.4.1: a confirmed commit without persist dies with its session

    # -- messages -----------------------------------------------------------------------------

    def _message(self, msg: bytes) -> None:
        try:
            root = etree.fromstring(msg, _PARSER)
        except etree.XMLSyntaxError as exc:
            if not self.hello_done:
                self.close()
                return
            self._reply(None, [RpcError("malformed-message", f"not well-formed XML: {exc}", type="rpc")])
            return
        if not self.hello_done:
            self._hello(root)
            return
        if root.tag != q(NC, "rpc"):
            self._reply(
                None,
                [
                    RpcError(
                        "unknown-element",
                        f"expected rpc, got {local(root.tag)}",
                        type="protocol",
                        info={"bad-element": local(root.tag)},
                    )
                ],
            )
            return
        if root.get("message-id") is None:
            self._reply(
                root,
                [
                    RpcError(
                        "missing-attribute",
                        "rpc needs a message-id",
                        type="rpc",
                        info={"bad-attribute": "message-id", "bad-element": "rpc"},
                    )
                ],
            )
            return
        ops = [c for c in root if isinstance(c.tag, str)]
        if len(ops) != 1:
            self._reply(
                root, [RpcError("malformed-message", "an rpc holds exactly one operation", type="rpc")]
            )
            return
        op = ops[0]
        handler = _HANDLERS.get(local(op.tag)) if op.tag.startswith(f"{{{NC}}}") else None
        if handler is None:
            self._reply(
                root,
                [
                    RpcError(
                        "operation-not-supported",
                        f"operation {local(op.tag)} is not supported",
                        type="protocol",
                        info={"bad-element": local(op.tag)},
                    )
                ],
            )
            return
        try:
            body = handler(self, op)
        except RpcError as exc:
            self._reply(root, [exc])
            return
        except ConfigError as exc:
            self._reply(root, [from_config_error(exc)])
            return
        except Exception as exc:
            # A bug, not a bad request: answer, log it, keep the session and the node serving.
            log.exception("%s: NETCONF %s failed", self.device.name, local(op.tag))
            self._reply(root, [RpcError("operation-failed", f"internal error: {exc}")])
            return
        self._reply(root, body)
        if local(op.tag) == "close-session":
            self.close()

    def _hello(self, root: Element) -> None:
        if root.tag != q(NC, "hello") or root.find(q(NC, "session-id")) is not None:
            self.close()  # RFC 6241 8.1: a client hello with a session-id ends the session
            return
        caps = {str(c.text or "").strip() for c in root.iter(q(NC, "capability"))}
        if BASE10 not in caps and BASE11 not in caps:
            self.close()
            return
        self.hello_done = True
        self.framer.chunked = BASE11 in caps

    def _reply(self, rpc: Element | None, body: list[Element] | list[RpcError] | None) -> None:
        reply = etree.Element(q(NC, "rpc-reply"), nsmap={None: NC})
        if rpc is not None:
            for k, v in rpc.attrib.items():
                reply.set(k, v)  # RFC 6241 4.2: the reply repeats the rpc's attributes
        items = body if body is not None else []
        if not items:
            etree.SubElement(reply, q(NC, "ok"))
        for item in items:
            reply.append(item.to_xml() if isinstance(item, RpcError) else item)
        self._write(reply)

    # -- helpers ------------------------------------------------------------------------------

    def _datastore(self, op: Element, which: str) -> tuple[str, Element | None]:
        """The datastore named in ``<source>``/``<target>``, or ("config", element) inline."""
        el = op.find(q(NC, which))
        if el is None:
            raise RpcError(
                "missing-element",
                f"{local(op.tag)} needs a {which}",
                type="protocol",
                info={"bad-element": which},
            )
        kids = [c for c in el if isinstance(c.tag, str)]
        if len(kids) != 1:
            raise RpcError(
                "bad-element",
                f"{which} names exactly one datastore",
                type="protocol",
                info={"bad-element": which},
            )
        name = local(kids[0].tag)
        if name == "config":
            return name, kids[0]
        if name == "url":
            raise RpcError("operation-not-supported", "the :url capability is not supported", type="protocol")
        if name not in ("running", "candidate", "startup"):
            raise RpcError(
                "invalid-value", f"unknown datastore {name}", type="protocol", info={"bad-element": name}
            )
        if name == "candidate" and not self.candidate_mode:
            raise RpcError(
                "operation-not-supported",
                "this node has no candidate datastore (writable-running mode)",
                type="protocol",
            )
        return name, None

    def _config_of(self, name: str) -> DeviceConfig:
        store = self.device.store
        return {"running": store.running, "candidate": store.candidate, "startup": store.startup}[name]

    def _parse(self, el: Element) -> DeviceConfig:
        return from_xml([c for c in el if isinstance(c.tag, str)], self.device.store.running.physical)

    def _check_lock(self, ds: str) -> None:
        holder = self.device.store.locks.get(ds)
        if holder is not None and holder != self.session_id:
            raise RpcError(
                "in-use",
                f"the {ds} datastore is locked by session {holder}",
                type="protocol",
                info={"session-id": str(holder)},
            )

    def _filtered(self, data: list[Element], op: Element) -> list[Element]:
        out = etree.Element(q(NC, "data"), nsmap={None: NC})
        flt = op.find(q(NC, "filter"))
        if flt is not None:
            ftype = flt.get("type", "subtree")
            if ftype != "subtree":
                raise RpcError(
                    "operation-not-supported",
                    f"{ftype} filters are not supported (no :xpath)",
                    type="protocol",
                    info={"bad-attribute": "type", "bad-element": "filter"},
                )
            data = apply_filter(data, flt)
        for d in data:
            out.append(d)
        return [out]

    def _commit_checks(self, new: DeviceConfig) -> None:
        self._check_lock("running")
        if self.candidate_mode:
            self._check_lock("candidate")
        try:
            new.validate(strict=True)
        except ConfigError as exc:
            raise from_config_error(exc) from None
        try:
            self.device.store.check_commit()
        except CommitRefused as exc:
            raise RpcError("operation-failed", str(exc)) from None

    # -- operations ---------------------------------------------------------------------------

    def op_get(self, op: Element) -> list[Element]:
        store = self.device.store
        return self._filtered([*to_xml(store.running), interfaces_state(self.device.node)], op)

    def op_get_config(self, op: Element) -> list[Element]:
        name, _ = self._datastore(op, "source")
        if name == "config":
            raise RpcError("invalid-value", "get-config reads a datastore", type="protocol")
        return self._filtered(to_xml(self._config_of(name)), op)

    def op_edit_config(self, op: Element) -> list[Element] | list[RpcError] | None:
        store = self.device.store
        target, _ = self._datastore(op, "target")
        if target == "startup" or target == "config":
            raise RpcError(
                "operation-not-supported",
                "edit-config writes the candidate (or running); use copy-config for startup",
                type="protocol",
            )
        if target == "running" and self.candidate_mode:
            raise RpcError(
                "operation-not-supported",
                "running is not directly writable on this node "
                "(no :writable-running): edit the candidate and commit",
                type="protocol",
            )
        self._check_lock(target)
        default_op = _text_of(op, "default-operation", "merge")
        test_option = _text_of(op, "test-option", "test-then-set")
        error_option = _text_of(op, "error-option", "stop-on-error")
        for what, value, allowed in (
            ("default-operation", default_op, ("merge", "replace", "none")),
            ("test-option", test_option, ("test-then-set", "set", "test-only")),
            ("error-option", error_option, ("stop-on-error", "continue-on-error", "rollback-on-error")),
        ):
            if value not in allowed:
                raise RpcError(
                    "invalid-value",
                    f"{what} must be one of {', '.join(allowed)}",
                    type="protocol",
                    info={"bad-element": what},
                )
        config = op.find(q(NC, "config"))
        if config is None:
            if op.find(q(NC, "url")) is not None:
                raise RpcError(
                    "operation-not-supported", "the :url capability is not supported", type="protocol"
                )
            raise RpcError(
                "missing-element",
                "edit-config needs a config",
                type="protocol",
                info={"bad-element": "config"},
            )
        base = self._config_of(target)
        work = new_root([] if default_op == "replace" else to_xml(base))
        editor = Editor(
            "replace" if default_op == "replace" else default_op,
            error_option,
            lambda s, k: self._check_delete(base, s, k),
        )
        errors = run_edit(editor, work, config)
        if errors and error_option != "continue-on-error":
            raise errors[0]
        new = self._parse(work)
        _check_deletions(base, new)
        if target == "running" or test_option == "test-only":
            try:
                new.validate(strict=True)
            except ConfigError as exc:
                raise from_config_error(exc) from None
        if test_option == "test-only":
            return list(errors) or None
        if target == "candidate":
            store.set_candidate(new)
        else:
            try:
                store.check_commit()
            except CommitRefused as exc:
                raise RpcError("operation-failed", str(exc)) from None
            store.set_running(new)
        return list(errors) or None

    def _check_delete(self, base: DeviceConfig, schema: SchemaNode, key: str) -> None:
        if schema is INTERFACE and base.is_physical(key):
            raise RpcError(
                "operation-failed",
                f"cannot delete physical interface {key}",
                path=f"/if:interfaces/if:interface[if:name='{key}']",
            )

    def op_copy_config(self, op: Element) -> None:
        store = self.device.store
        target, _ = self._datastore(op, "target")
        source, inline = self._datastore(op, "source")
        if target == "config":
            raise RpcError("invalid-value", "copy-config needs a datastore target", type="protocol")
        if target == source:
            raise RpcError("invalid-value", "source and target are the same datastore", type="protocol")
        self._check_lock(target)
        new = self._parse(inline) if inline is not None else self._config_of(source).copy()
        if target == "startup":
            store.startup = new.copy()
        elif target == "candidate":
            store.set_candidate(new)
        else:
            if self.candidate_mode:
                raise RpcError(
                    "operation-not-supported", "running is written by commit on this node", type="protocol"
                )
            self._commit_checks(new)
            store.set_running(new)
        return None

    def op_delete_config(self, op: Element) -> None:
        target, _ = self._datastore(op, "target")
        if target != "startup":
            raise RpcError("operation-not-supported", "only startup can be deleted", type="protocol")
        self._check_lock(target)
        store = self.device.store
        store.startup = store.running.clean()
        return None

    def op_lock(self, op: Element) -> None:
        name, _ = self._datastore(op, "target")
        store = self.device.store
        holder = store.locks.get(name)
        if holder is not None:
            raise RpcError(
                "lock-denied",
                f"lock failed: {name} is locked by session {holder}",
                type="protocol",
                info={"session-id": str(holder)},
            )
        if name == "candidate" and store.candidate_dirty:
            # RFC 6241 7.5: no lock on a candidate holding someone's uncommitted changes.
            raise RpcError(
                "lock-denied",
                "lock failed: the candidate has uncommitted changes",
                type="protocol",
                info={"session-id": "0"},
            )
        if name == "running" and store.pending is not None and store.pending.owner != self.owner:
            raise RpcError(
                "lock-denied",
                "lock failed: a confirmed commit is pending",
                type="protocol",
                info={"session-id": "0"},
            )
        store.locks[name] = self.session_id
        return None

    def op_unlock(self, op: Element) -> None:
        name, _ = self._datastore(op, "target")
        store = self.device.store
        holder = store.locks.get(name)
        if holder != self.session_id:
            who = f"session {holder}" if holder is not None else "nobody"
            raise RpcError(
                "operation-failed",
                f"unlock failed: {name} is locked by {who}",
                type="protocol",
                info={"session-id": str(holder or 0)},
            )
        del store.locks[name]
        return None

    def op_validate(self, op: Element) -> None:
        name, inline = self._datastore(op, "source")
        cfg = self._parse(inline) if inline is not None else self._config_of(name)
        try:
            cfg.validate(strict=True)
        except ConfigError as exc:
            raise from_config_error(exc) from None
        return None

    def op_commit(self, op: Element) -> None:
        if not self.candidate_mode:
            raise RpcError(
                "operation-not-supported", "no candidate on this node: edits go to running", type="protocol"
            )
        store = self.device.store
        confirmed = op.find(q(NC, "confirmed")) is not None
        persist = _opt_text(op, "persist")
        persist_id = _opt_text(op, "persist-id")
        timeout = DEFAULT_CONFIRM_TIMEOUT
        raw = _opt_text(op, "confirm-timeout")
        if raw is not None:
            if not raw.isdigit() or int(raw) < 1:
                raise RpcError(
                    "invalid-value",
                    "confirm-timeout is a positive number of seconds",
                    type="protocol",
                    info={"bad-element": "confirm-timeout"},
                )
            timeout = float(raw)
        if not confirmed and (persist is not None or raw is not None):
            raise RpcError("invalid-value", "persist and confirm-timeout need confirmed", type="protocol")
        pending = store.pending
        owner = self.owner
        if pending is not None:
            if not pending.owner.startswith("netconf:"):
                raise RpcError("in-use", f"a commit timer of {pending.owner} is pending confirmation")
            if pending.persist is not None:
                if persist_id is None:
                    raise RpcError(
                        "invalid-value",
                        "a persisted confirmed commit is pending: give its persist-id",
                        type="protocol",
                        info={"bad-element": "persist-id"},
                    )
                if persist_id != pending.persist:
                    raise RpcError(
                        "invalid-value",
                        "persist-id does not match the pending confirmed commit",
                        type="protocol",
                        info={"bad-element": "persist-id"},
                    )
                owner = pending.owner
            elif persist_id is not None:
                raise RpcError(
                    "invalid-value",
                    "the pending confirmed commit was not persisted",
                    type="protocol",
                    info={"bad-element": "persist-id"},
                )
            elif pending.owner != owner:
                raise RpcError(
                    "in-use",
                    f"a confirmed commit of session {pending.owner.split(':')[1]} is pending",
                    type="protocol",
                )
        elif persist_id is not None:
            raise RpcError(
                "invalid-value",
                "no confirmed commit is pending",
                type="protocol",
                info={"bad-element": "persist-id"},
            )
        new = store.candidate
        self._commit_checks(new)
        if confirmed:
            store.commit_confirmed(
                new,
                owner,
                timeout,
                persist if persist is not None else (pending.persist if pending is not None else None),
            )
        else:
            store.set_running(new)
            store.confirm()  # a plain commit confirms a pending one (8.4.1)
        store.candidate_dirty = False
        store.candidate = store.running.copy()
        return None

    def op_cancel_commit(self, op: Element) -> None:
        store = self.device.store
        pending = store.pending
        persist_id = _opt_text(op, "persist-id")
        if pending is None or not pending.owner.startswith("netconf:"):
            raise RpcError("operation-failed", "no confirmed commit is pending")
        if persist_id is not None:
            if persist_id != pending.persist:
                raise RpcError(
                    "invalid-value",
                    "persist-id does not match the pending confirmed commit",
                    type="protocol",
                    info={"bad-element": "persist-id"},
                )
        elif pending.persist is not None or pending.owner != self.owner:
            raise RpcError(
                "invalid-value",
                "this session did not issue the pending confirmed commit (give its persist-id)",
                type="protocol",
            )
        store.revert()
        return None

    def op_discard_changes(self, op: Element) -> None:
        if not self.candidate_mode:
            raise RpcError("operation-not-supported", "no candidate on this node", type="protocol")
        self._check_lock("candidate")
        self.device.store.discard_candidate()
        return None

    def op_close_session(self, op: Element) -> None:
        return None

    def op_kill_session(self, op: Element) -> None:
        raw = _opt_text(op, "session-id")
        if raw is None or not raw.isdigit():
            raise RpcError(
                "missing-element",
                "kill-session needs a session-id",
                type="protocol",
                info={"bad-element": "session-id"},
            )
        sid = int(raw)
        if sid == self.session_id:
            raise RpcError(
                "invalid-value", "a session cannot kill itself (use close-session)", type="protocol"
            )
        other = self.device.netconf_sessions.get(sid)
        if other is None:
            raise RpcError(
                "invalid-value", f"no session {sid}", type="protocol", info={"bad-element": "session-id"}
            )
        other.close()
        return None


def _text_of(op: Element, name: str, default: str) -> str:
    el = op.find(q(NC, name))
    return default if el is None else str(el.text or "").strip()


def _opt_text(op: Element, name: str) -> str | None:
    el = op.find(q(NC, name))
    return None if el is None else str(el.text or "").strip()


def _check_deletions(base: DeviceConfig, new: DeviceConfig) -> None:
    """Deleting something still referenced is refused at edit time, as on the CLI."""
    for name in base.policers:
        if name not in new.policers:
            users = new.policer_users(name)
            if users:
                raise RpcError(
                    "data-missing",
                    f"cannot delete policer {name}: it is in use by interface {', '.join(users)}",
                    path=f"/sim:sim/sim:policers/sim:policer[sim:name='{name}']",
                    app_tag="instance-required",
                )
    for name in base.interfaces:
        if name not in new.interfaces:
            users = sorted(x for x, xc in new.xconnects.items() if xc.interface == name)
            if users:
                raise RpcError(
                    "data-missing",
                    f"cannot delete interface {name}: it is used by xconnect {', '.join(users)}",
                    path=f"/if:interfaces/if:interface[if:name='{name}']",
                    app_tag="instance-required",
                )


_HANDLERS: dict[str, Handler] = {
    "get": NetconfSession.op_get,
    "get-config": NetconfSession.op_get_config,
    "edit-config": NetconfSession.op_edit_config,
    "copy-config": NetconfSession.op_copy_config,
    "delete-config": NetconfSession.op_delete_config,
    "lock": NetconfSession.op_lock,
    "unlock": NetconfSession.op_unlock,
    "validate": NetconfSession.op_validate,
    "commit": NetconfSession.op_commit,
    "cancel-commit": NetconfSession.op_cancel_commit,
    "discard-changes": NetconfSession.op_discard_changes,
    "close-session": NetconfSession.op_close_session,
    "kill-session": NetconfSession.op_kill_session,
}

__all__ = ["NetconfSession", "XmlDataError", "capabilities"]
