"""NETCONF configurations: the edit-config that turns one XML configuration into another.

List entries are matched by their key leaves (interface/name, address/ip, policer/name, ...);
leaves are compared by text. The result carries only what changes: new or changed leaves and
entries merge, vanished ones are deleted (``nc:operation="delete"`` on the entry, which
names only its key). Unchanged siblings are left out, so a bandwidth change edits one leaf.
"""

from __future__ import annotations

import difflib
from copy import deepcopy

from lxml import etree

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
_OP = f"{{{NC}}}operation"
# local name of a list entry -> its key leaves (YANG list keys of the models we edit)
KEYS: dict[str, tuple[str, ...]] = {
    "interface": ("name",),
    "address": ("ip",),
    "policer": ("name",),
    "route": ("prefix",),
    "xconnect": ("name",),
    "community": ("name",),
    "user": ("name",),
}

# A template marks a list entry that belongs to the device (a physical port in ietf-interfaces)
# with shared="true" in this namespace: the service owns only the leaves it lists there, so
# removing the service deletes those leaves and never the entry. The mark never reaches a
# device: payloads and human diffs are stripped of it.
TEMPLATE_NS = "urn:ossagent:params:xml:ns:template"
_SHARED = f"{{{TEMPLATE_NS}}}shared"


def _shared(el: etree._Element) -> bool:
    return bool(el.get(_SHARED) == "true")


def strip_marks(root: etree._Element) -> etree._Element:
    for el in root.iter():
        if isinstance(el.tag, str) and _SHARED in el.attrib:
            del el.attrib[_SHARED]
    etree.cleanup_namespaces(root)
    return root


def _local(el: etree._Element) -> str:
    return str(etree.QName(el).localname)


def parse(text: str) -> etree._Element:
    """A configuration document; a bare list of top-level elements is wrapped in <config>."""
    text = text.strip()
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(f'<config xmlns="{NC}">{text}</config>'.encode(), parser)
    # unwrap <config><data>... or <config><config>... as returned by get-config
    while len(root) == 1 and _local(root[0]) in ("config", "data") and etree.QName(root[0]).namespace == NC:
        root = root[0]
    return root


def _identity(el: etree._Element) -> tuple[str, tuple[str, ...]]:
    tag = el.tag if isinstance(el.tag, str) else ""
    keys = KEYS.get(_local(el))
    if keys:
        values = []
        for k in keys:
            child = next((c for c in el if isinstance(c.tag, str) and _local(c) == k), None)
            values.append((child.text or "").strip() if child is not None else "")
        return tag, tuple(values)
    return tag, ()


def _is_leaf(el: etree._Element) -> bool:
    return len(el) == 0


def _key_children(el: etree._Element) -> list[etree._Element]:
    keys = KEYS.get(_local(el), ())
    return [deepcopy(c) for c in el if isinstance(c.tag, str) and _local(c) in keys]


def _diff(old: etree._Element | None, new: etree._Element | None, out_parent: etree._Element) -> bool:
    """Append to ``out_parent`` what turns ``old`` into ``new``; True if anything changed."""
    if new is None:
        assert old is not None
        if (_local(old) in KEYS and not _shared(old)) or _is_leaf(old):
            # A list entry (named by its keys) or a leaf: delete exactly that.
            gone = etree.SubElement(out_parent, old.tag, nsmap=old.nsmap)
            for k in _key_children(old):
                gone.append(k)
            gone.set(_OP, "delete")
            return True
        # A container is shared with configuration we do not own: delete what we had in it.
        container = etree.SubElement(out_parent, old.tag, nsmap=old.nsmap)
        if _shared(old):
            # A shared entry, named by its keys (which stay): what the service lists in it is
            # the service's, containers whole (a port's ipv4 config, not an empty <ipv4/>
            # that netconfd would keep).
            key_names = set(KEYS.get(_local(old), ()))
            for child in old:
                if isinstance(child.tag, str):
                    if _local(child) in key_names:
                        container.append(deepcopy(child))
                    else:
                        gone = etree.SubElement(container, child.tag, nsmap=child.nsmap)
                        for k in _key_children(child):
                            gone.append(k)
                        gone.set(_OP, "delete")
            return True
        for child in old:
            if isinstance(child.tag, str):
                _diff(child, None, container)
        return True
    if old is None:
        out_parent.append(deepcopy(new))
        out_parent[-1].set(_OP, "merge")
        return True
    if _is_leaf(new) or _is_leaf(old):
        if (old.text or "").strip() == (new.text or "").strip() and _is_leaf(old) == _is_leaf(new):
            return False
        out_parent.append(deepcopy(new))
        return True
    container = etree.Element(new.tag, nsmap=new.nsmap)
    for k in _key_children(new):
        container.append(k)
    key_names = set(KEYS.get(_local(new), ()))
    olds = {_identity(c): c for c in old if isinstance(c.tag, str) and _local(c) not in key_names}
    news = {_identity(c): c for c in new if isinstance(c.tag, str) and _local(c) not in key_names}
    changed = False
    for ident, child in news.items():
        changed |= _diff(olds.get(ident), child, container)
    for ident, child in olds.items():
        if ident not in news:
            changed |= _diff(child, None, container)
    if changed:
        out_parent.append(container)
    return changed


def edit_config(old_text: str, new_text: str) -> str | None:
    """The <config> payload for edit-config (default-operation none), or None when equal."""
    old, new = parse(old_text), parse(new_text)
    out = etree.Element(f"{{{NC}}}config", nsmap={None: NC, "nc": NC})
    olds = {_identity(c): c for c in old if isinstance(c.tag, str)}
    news = {_identity(c): c for c in new if isinstance(c.tag, str)}
    changed = False
    for ident, child in news.items():
        changed |= _diff(olds.get(ident), child, out)
    for ident, child in olds.items():
        if ident not in news:
            changed |= _diff(child, None, out)
    if not changed:
        return None
    return str(etree.tostring(strip_marks(out), pretty_print=True).decode())


def pretty(text: str) -> str:
    root = strip_marks(parse(text))
    return "\n".join(etree.tostring(c, pretty_print=True).decode().rstrip() for c in root)


def unified_diff(old_text: str, new_text: str, old_name: str = "running", new_name: str = "candidate") -> str:
    lines = difflib.unified_diff(
        pretty(old_text).splitlines(),
        pretty(new_text).splitlines(),
        fromfile=old_name,
        tofile=new_name,
        lineterm="",
        n=2,
    )
    return "\n".join(lines)


def _merge_into(dst: etree._Element, src: etree._Element) -> None:
    index = {_identity(c): c for c in dst if isinstance(c.tag, str)}
    for child in src:
        if not isinstance(child.tag, str):
            continue
        ident = _identity(child)
        mine = index.get(ident)
        if mine is None or len(child) == 0:
            dst.append(deepcopy(child))
            index[ident] = dst[-1]
        else:
            _merge_into(mine, child)


def merge_xml(documents: list[str], wrap: bool = False) -> str:
    """One document holding several (list entries matched by key, containers merged): two
    services' edits of one device become one edit-config. ``wrap`` returns a <config>."""
    root = etree.Element(f"{{{NC}}}config", nsmap={None: NC, "nc": NC})
    for text in documents:
        if text.strip():
            _merge_into(root, parse(text))
    if wrap:
        return str(etree.tostring(root, pretty_print=True).decode())
    return (
        "\n".join(
            str(etree.tostring(c, pretty_print=True).decode()).rstrip()
            for c in root
            if isinstance(c.tag, str)
        )
        + "\n"
    )
