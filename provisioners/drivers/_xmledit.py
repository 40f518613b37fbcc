"""Apply an edit-config payload to a configuration locally (RFC 6241 §7.2 operations).

Used where the device has no candidate datastore (``:writable-running``): the dry-run diff is
running vs. running-with-the-edit computed here, and after the edit the device's running
config is held against this expectation. List entries are matched by the key leaves in
``provisioners.diff.xml.KEYS``.
"""

from __future__ import annotations

from copy import deepcopy

from lxml import etree

from provisioners.diff.xml import KEYS, NC, parse

_OP = f"{{{NC}}}operation"
OPERATIONS = ("merge", "replace", "create", "delete", "remove", "none")


class EditError(ValueError):
    """The edit cannot apply (create of an existing node, delete of a missing one)."""


def _local(el: etree._Element) -> str:
    return str(etree.QName(el).localname)


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _identity(el: etree._Element) -> tuple[str, tuple[str, ...]]:
    keys = KEYS.get(_local(el), ())
    values = []
    for k in keys:
        child = next((c for c in _children(el) if _local(c) == k), None)
        values.append((child.text or "").strip() if child is not None else "")
    return str(el.tag), tuple(values)


def _clean(el: etree._Element) -> etree._Element:
    out = deepcopy(el)
    for node in out.iter():
        if isinstance(node.tag, str) and _OP in node.attrib:
            del node.attrib[_OP]
    return out


def _find(parent: etree._Element, edit: etree._Element) -> etree._Element | None:
    ident = _identity(edit)
    for c in _children(parent):
        if _identity(c) == ident:
            return c
    return None


def _apply(target: etree._Element, edit: etree._Element, inherited: str) -> None:
    for e in _children(edit):
        op = e.get(_OP, inherited)
        if op not in OPERATIONS:
            raise EditError(f"unknown operation {op!r}")
        match = _find(target, e)
        if op in ("delete", "remove"):
            if match is None:
                if op == "delete":
                    raise EditError(f"delete of missing {_local(e)} {_identity(e)[1]}")
                continue
            target.remove(match)
        elif op == "create" and match is not None:
            raise EditError(f"create of existing {_local(e)} {_identity(e)[1]}")
        elif op in ("replace", "create"):
            new = _clean(e)
            if match is None:
                target.append(new)
            else:
                target.replace(match, new)
        else:  # merge / none: descend
            is_leaf = not _children(e)
            if match is None:
                if op == "none" and not is_leaf:
                    # default-operation none creates nothing by itself; only nested ops do.
                    holder = etree.Element(e.tag, nsmap=e.nsmap)
                    for k in _children(e):
                        if _local(k) in KEYS.get(_local(e), ()):
                            holder.append(_clean(k))
                    _apply(holder, e, op)
                    if len(_children(holder)) > len(KEYS.get(_local(e), ())):
                        target.append(holder)
                    continue
                if op == "none":
                    continue
                if is_leaf:
                    target.append(_clean(e))
                    continue
                match = etree.SubElement(target, e.tag, nsmap=e.nsmap)
            if is_leaf:
                if op == "merge":
                    match.text = e.text
                continue
            _apply(match, e, op)


def apply_edit(config_xml: str, payload_xml: str, default_operation: str = "merge") -> str:
    """``config_xml`` with ``payload_xml`` (a ``<config>`` with nc:operation attributes)
    applied; returns a ``<config>`` document."""
    base = parse(config_xml)
    result = etree.Element(f"{{{NC}}}config", nsmap={None: NC})
    for c in _children(base):
        result.append(deepcopy(c))
    _apply(result, parse(payload_xml), default_operation)
    return bytes(etree.tostring(result, pretty_print=True)).decode()
