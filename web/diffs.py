"""Unified diffs of configuration text for people, and their lines classified for colouring
(pure; difflib, so the web process needs no device-side diff code)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

LineKind = Literal["file", "hunk", "add", "del", "ctx"]
CONTEXT = 3


def unified_diff(a: str, b: str, name_a: str, name_b: str, context: int = CONTEXT) -> str:
    """``diff -u`` of two texts; empty when they are equal."""
    lines = difflib.unified_diff(
        a.splitlines(), b.splitlines(), fromfile=name_a, tofile=name_b, n=context, lineterm=""
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class DiffLine:
    kind: LineKind
    text: str


def classify(diff: str) -> list[DiffLine]:
    """Each line of a unified diff (or a device's diff in that style) with its kind."""
    out = []
    for line in diff.splitlines():
        kind: LineKind
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        out.append(DiffLine(kind, line))
    return out
