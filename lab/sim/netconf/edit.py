"""RFC 6241 7.2 ``<edit-config>`` on an XML tree: default-operation merge|replace|none, per-element
``nc:operation`` merge|replace|create|delete|remove, error-option.

The target is the ``<config>`` element built by :func:`lab.sim.config.xml.to_xml`; the edit
walks :data:`CONFIG_SCHEMA` to know containers, lists (and their keys) and leaves. New subtrees
are rebuilt through the schema rather than copied, so an unknown element anywhere is an
``unknown-element`` error and no ``operation`` attribute leaks into the datastore.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from lxml import etree

from lab.sim.config.xml import (
    CONFIG_SCHEMA,
    IANA,
    IF,
    NC,
    Element,
    SchemaNode,
    local,
    ns_of,
    q,
    xpath_step,
)
from lab.sim.netconf.errors import RpcError

OPERATION = q(NC, "operation")
OPS = ("merge", "replace", "create", "delete", "remove")
TYPE_LEAF = q(IF, "type")

# Called before an existing list entry is deleted or removed: (schema node, key value); raises
# RpcError to refuse (physical interfaces cannot be deleted).
DeleteCheck = Callable[[SchemaNode, str], None]


def new_root(children: list[Element]) -> Element:
    root = etree.Element(q(NC, "config"), nsmap={None: NC})
    for c in children:
        root.append(c)
    return root


class Editor:
    def __init__(self, default_operation: str, error_option: str, check_delete: DeleteCheck):
        self.default_operation = default_operation
        self.error_option = error_option
        self.check_delete = check_delete
        self.errors: list[RpcError] = []

    def apply(self, target: Element, config: Element) -> None:
        """Edit ``target`` (a ``<config>`` root) with the children of ``config``. Errors are
        collected in ``self.errors``; with stop-on-error and rollback-on-error the first one
        ends the walk."""
        for c in _elements(config):
            if not self._guard(target, c, CONFIG_SCHEMA, self.default_operation, ""):
                return

    def _guard(self, tparent: Element, c: Element, sparent: SchemaNode, inherited: str, path: str) -> bool:
        """Edit one element; False when the walk must stop."""
        try:
            self._edit(tparent, c, sparent, inherited, path)
        except RpcError as exc:
            self.errors.append(exc)
            return self.error_option == "continue-on-error"
        return True

    # -- one element --------------------------------------------------------------------------

    def _edit(self, tparent: Element, c: Element, sparent: SchemaNode, inherited: str, path: str) -> None:
        schema = sparent.child(c.tag)
        here = path + xpath_step(c.tag)
        if schema is None:
            raise RpcError(
                "unknown-element",
                f"unknown element {local(c.tag)} (namespace {ns_of(c.tag) or 'none'})",
                path=here,
                info={"bad-element": local(c.tag)},
            )
        op = c.get(OPERATION, inherited)
        if op not in OPS and op != "none":
            raise RpcError(
                "bad-attribute",
                f"operation {op!r} is not one of {', '.join(OPS)}",
                type="protocol",
                path=here,
                info={"bad-attribute": "operation", "bad-element": local(c.tag)},
            )
        key_value = ""
        if schema.kind == "list":
            key_value = self._key(c, schema, here)
            here = path + xpath_step(c.tag, [(schema.key[0], key_value)])
            match = next(
                (t for t in tparent.findall(c.tag) if _text(t.find(schema.key[0])) == key_value),
                None,
            )
        else:
            match = tparent.find(c.tag)

        if op in ("delete", "remove"):
            if match is None:
                if op == "delete":
                    raise RpcError(
                        "data-missing",
                        f"{local(c.tag)} {key_value or ''} does not exist".replace("  ", " "),
                        path=here,
                    )
                return
            if schema.kind == "list":
                self.check_delete(schema, key_value)
            if schema.kind == "leaf" and sparent.kind == "list" and c.tag in sparent.key:
                raise RpcError(
                    "operation-not-supported", f"cannot delete the key leaf {local(c.tag)}", path=here
                )
            tparent.remove(match)
            return
        if op == "create" and match is not None:
            raise RpcError("data-exists", f"{local(c.tag)} {key_value} already exists".rstrip(), path=here)
        if op == "replace" or op == "create":
            new = self._build(c, schema, here)
            if match is not None:
                tparent.replace(match, new)
            else:
                tparent.append(new)
            return
        # merge, or none (descend without changing)
        if schema.kind == "leaf":
            if op == "none":
                if match is None:
                    raise RpcError("data-missing", f"{local(c.tag)} does not exist", path=here)
                return
            value = self._leaf_value(c)
            if match is None:
                tparent.append(self._leaf(c.tag, value))
            else:
                tparent.replace(match, self._leaf(c.tag, value))
            return
        if match is None:
            if op == "none" and not _creates(c):
                if _only_removes(c):
                    return
                raise RpcError(
                    "data-missing", f"{local(c.tag)} {key_value} does not exist".rstrip(), path=here
                )
            match = etree.SubElement(tparent, c.tag)
            for k in schema.key:
                etree.SubElement(match, k).text = key_value
        for child in _elements(c):
            if not self._guard(match, child, schema, op, here):
                raise _Stop
        return

    def _key(self, c: Element, schema: SchemaNode, here: str) -> str:
        k = c.find(schema.key[0])
        if k is None or not _text(k):
            raise RpcError(
                "missing-element",
                f"{local(c.tag)} needs its key {local(schema.key[0])}",
                path=here,
                info={"bad-element": local(schema.key[0])},
            )
        return _text(k)

    def _build(self, c: Element, schema: SchemaNode, here: str) -> Element:
        if schema.kind == "leaf":
            return self._leaf(c.tag, self._leaf_value(c))
        el = etree.Element(c.tag)
        for child in _elements(c):
            s = schema.child(child.tag)
            if s is None:
                raise RpcError(
                    "unknown-element",
                    f"unknown element {local(child.tag)} (namespace {ns_of(child.tag) or 'none'})",
                    path=here + xpath_step(child.tag),
                    info={"bad-element": local(child.tag)},
                )
            if child.get(OPERATION) in ("delete", "remove"):
                continue  # nothing to delete inside a subtree being replaced or created
            el.append(self._build(child, s, here + xpath_step(child.tag)))
        return el

    def _leaf_value(self, c: Element) -> str:
        text = _text(c)
        if c.tag == TYPE_LEAF:
            # An identityref: keep it meaningful whatever prefix the client used.
            prefix, sep, name = text.rpartition(":")
            if sep and c.nsmap.get(prefix) == IANA:
                return "ianaift:" + name
            if not sep:
                return "ianaift:" + text
        return text

    @staticmethod
    def _leaf(tag: str, value: str) -> Element:
        el = etree.Element(tag, nsmap={"ianaift": IANA}) if tag == TYPE_LEAF else etree.Element(tag)
        el.text = value
        return el


class _Stop(RpcError):
    """Internal: a nested error already recorded, unwinding the walk."""

    def __init__(self) -> None:
        super().__init__("operation-failed", "stopped")


def run_edit(editor: Editor, target: Element, config: Element) -> list[RpcError]:
    with contextlib.suppress(_Stop):
        editor.apply(target, config)
    return [e for e in editor.errors if not isinstance(e, _Stop)]


def _elements(el: Element) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _text(el: Element | None) -> str:
    return "" if el is None else str(el.text or "").strip()


def _creates(el: Element) -> bool:
    return any(
        d.get(OPERATION) in ("merge", "replace", "create") for d in el.iter() if isinstance(d.tag, str)
    )


def _only_removes(el: Element) -> bool:
    ops = {d.get(OPERATION) for d in el.iter() if isinstance(d.tag, str)} - {None}
    return bool(ops) and ops <= {"remove"}
