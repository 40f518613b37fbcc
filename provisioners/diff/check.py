"""Is a service's configuration on the device? Read-back checks after a commit (pure).

``missing`` lists what the intended fragment has that the running configuration lacks;
``lingering`` lists what the old fragment had, the new one dropped, and the device still
holds. Both empty means the change really landed, which also catches a device that answered
"ok" to a commit and applied nothing (netconfd does that after a <validate>).
"""

from __future__ import annotations

from lxml import etree

from provisioners.diff import cli as cli_diff
from provisioners.diff import xml as xml_diff


def _cli_lines(text: str) -> set[tuple[str, str]]:
    out = set()
    for header, block in cli_diff.parse(text).items():
        out.add((header, ""))
        out.update((header, child) for child in block.children)
    return out


def _xml_leaves(text: str) -> set[tuple[str, str]]:
    """(keyed path, value) of every leaf: the path names list entries by their keys."""
    root = xml_diff.parse(text)
    out: set[tuple[str, str]] = set()

    def walk(el: etree._Element, path: str) -> None:
        # The keys of an entry the device owns (template-marked shared) are not the service's:
        # the entry stays when the service goes, and that is not a lingering leaf.
        skip = set(xml_diff.KEYS.get(etree.QName(el).localname, ())) if xml_diff._shared(el) else set()
        for child in el:
            if not isinstance(child.tag, str) or etree.QName(child).localname in skip:
                continue
            _, keys = xml_diff._identity(child)
            step = f"{path}/{etree.QName(child).localname}" + (f"[{','.join(keys)}]" if keys else "")
            if len(child) == 0:
                out.add((step, (child.text or "").strip()))
            else:
                walk(child, step)

    walk(root, "")
    return out


def _items(fmt: str, text: str) -> set[tuple[str, str]]:
    if not text.strip():
        return set()
    return _xml_leaves(text) if fmt == "netconf" else _cli_lines(text)


def missing(fmt: str, fragment: str, running: str) -> list[str]:
    have = _items(fmt, running)
    return sorted(" ".join(x for x in item if x) for item in _items(fmt, fragment) - have)


def lingering(fmt: str, before: str, after: str, running: str) -> list[str]:
    gone = _items(fmt, before) - _items(fmt, after)
    if fmt == "cli":
        # a removed single-valued line replaced by a new value is not lingering by name
        gone = {g for g in gone if g[1] or not any(h == g[0] for h, _ in _items(fmt, after))}
    have = _items(fmt, running)
    return sorted(" ".join(x for x in item if x) for item in gone & have)
