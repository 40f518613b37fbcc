"""RFC 6241 section 6 subtree filtering.

Filter nodes are namespace selections (a filter element without a namespace matches any),
containment nodes (children), selection nodes (empty) and content match nodes (leaves with
text). List keys are included with selected list entries, as 6.2.5 allows.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from lab.sim.config.xml import LIST_KEYS, Element, local


def _elements(el: Element) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _name_matches(data: Element, flt: Element) -> bool:
    if flt.tag.startswith("{"):
        return bool(data.tag == flt.tag)
    return bool(local(data.tag) == flt.tag)


def _text(el: Element) -> str:
    return str(el.text or "").strip()


def _is_content(flt: Element) -> bool:
    return not len(flt) and bool(_text(flt))


def apply_filter(data: Iterable[Element], flt: Element) -> list[Element]:
    """The parts of ``data`` (top-level elements) that the ``<filter>`` element selects."""
    out: list[Element] = []
    roots = list(data)
    for f in _elements(flt):
        for d in roots:
            r = _match(d, f)
            if r is not None and not any(r is o for o in out):
                out.append(r)
    return _merge_same(out)


def _merge_same(elements: list[Element]) -> list[Element]:
    """Two filter branches may select parts of the same top-level element: one copy, merged."""
    merged: dict[str, Element] = {}
    out: list[Element] = []
    for el in elements:
        prev = merged.get(el.tag)
        if prev is None:
            merged[el.tag] = el
            out.append(el)
        else:
            for c in el:
                prev.append(c)
    return out


def _match(d: Element, f: Element) -> Element | None:
    if not _name_matches(d, f):
        return None
    for k, v in f.attrib.items():
        if d.get(k) != v:
            return None
    kids = _elements(f)
    if not kids:
        if _text(f):
            return copy.deepcopy(d) if _text(d) == _text(f) else None
        return copy.deepcopy(d)
    content = [c for c in kids if _is_content(c)]
    others = [c for c in kids if not _is_content(c)]
    data_kids = _elements(d)
    matched_content: list[Element] = []
    for c in content:
        hits = [x for x in data_kids if _name_matches(x, c) and _text(x) == _text(c)]
        if not hits:
            return None
        matched_content.extend(hits)
    if not others:
        return copy.deepcopy(d)
    result = d.makeelement(d.tag, d.attrib, nsmap=d.nsmap)
    result.text = None
    selected = 0
    keys = LIST_KEYS.get(d.tag, ())
    for x in data_kids:
        if any(x is m for m in matched_content) or x.tag in keys:
            result.append(copy.deepcopy(x))
            continue
        for c in others:
            if not _name_matches(x, c):
                continue
            r = copy.deepcopy(x) if not _elements(c) else _match(x, c)
            if r is not None:
                result.append(r)
                selected += 1
                break
    if selected == 0 and not content:
        return None
    return result
